"""Configured connections to upstream LRSs, each pulled on its own schedule.

A connection is an upstream endpoint, a key and a secret (encrypted at rest with a Fernet key the
caller holds), and how often to pull. Pulling reuses `pull`, so a connection resumes from the cursor
of its endpoint and key and never stores a statement twice. Each pull first takes a lease on the row
with one conditional UPDATE, which is atomic on SQLite and PostgreSQL alike, so two workers never pull
the same connection at once; a worker that dies leaves a lease that simply runs out.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, or_, select, update
from sqlalchemy.orm import Mapped, mapped_column

from alignment.database import Base, UnitOfWork, UnitOfWorkFactory, utcnow
from alignment.errors import Conflict, DomainError, InvalidInput, NotFound
from alignment.messages import N_, Kind, Sentence
from xapi_listener.pull import Pulled, normalised_endpoint, pull

log = structlog.get_logger(__name__)

DEFAULT_EVERY_MINUTES = 15
MAX_EVERY_MINUTES = 7 * 24 * 60
MAX_BACKOFF = timedelta(hours=24)
"""A failing connection is tried again after its interval, then twice that, four times … at most a day."""
LEASE = timedelta(minutes=10)
"""How long a pull may go without finishing a page before another worker may take the connection over."""
MAX_LABEL = 200

# Why a connection cannot be added, pulled or removed, said on the admin page in the visitor's language.
KEY_EMPTY = Sentence("connection.key_empty", N_("key: the upstream credential's key must not be empty"))
SECRET_EMPTY = Sentence("connection.secret_empty", N_("secret: the upstream credential's secret must not be empty"))
TOO_LONG = Sentence(
    "connection.too_long", N_("%(field)s: at most %(most)s characters"), {"field": Kind.TEXT, "most": Kind.NUMBER}
)
EVERY_RANGE = Sentence(
    "connection.every_range",
    N_("every: must be from 1 to %(most)s minutes (a week), got %(got)s"),
    {"most": Kind.NUMBER, "got": Kind.NUMBER},
)
ALREADY_PULLS = Sentence(
    "connection.already_pulls",
    N_("connection %(connection)s already pulls %(endpoint)s with key %(key)s for this tenant"),
    {"connection": Kind.TEXT, "endpoint": Kind.TEXT, "key": Kind.TEXT},
)
NO_CONNECTION = Sentence("connection.not_found", N_("no connection %(id)s in this tenant"), {"id": Kind.TEXT})
BEING_PULLED = Sentence(
    "connection.being_pulled",
    N_("connection %(id)s is being pulled right now by another process; try later"),
    {"id": Kind.TEXT},
)


class ConnectionRecord(Base):
    """An upstream LRS a tenant pulls from on a schedule, and how the last pulls went."""

    __tablename__ = "xapi_pull_connections"
    __table_args__ = (UniqueConstraint("tenant_id", "endpoint", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    endpoint: Mapped[str] = mapped_column(String(500))
    key: Mapped[str] = mapped_column(String(200))
    encrypted_secret: Mapped[str] = mapped_column(Text)
    label: Mapped[str] = mapped_column(String(MAX_LABEL), default="")
    every_minutes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    next_pull_at: Mapped[datetime] = mapped_column(index=True)
    last_pulled_at: Mapped[datetime | None]
    """When the last pull that succeeded began."""
    statements_pulled: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    """Pulls that failed in a row; zero after a success."""
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None]
    leased_until: Mapped[datetime | None]
    lease_holder: Mapped[str | None] = mapped_column(String(64))


@dataclass(frozen=True)
class Connection:
    """A connection as its tenant's admin sees it: never its secret."""

    id: int
    tenant_id: int
    endpoint: str
    key: str
    label: str
    every_minutes: int
    created_at: datetime
    next_pull_at: datetime
    last_pulled_at: datetime | None
    statements_pulled: int
    failures: int
    last_error: str | None
    last_error_at: datetime | None
    pulling: bool

    def as_json(self) -> dict[str, Any]:
        """The connection as JSON values (times in ISO 8601)."""
        return {
            "id": self.id,
            "endpoint": self.endpoint,
            "key": self.key,
            "label": self.label,
            "every_minutes": self.every_minutes,
            "created_at": self.created_at.isoformat(),
            "next_pull_at": self.next_pull_at.isoformat(),
            "last_pulled_at": self.last_pulled_at.isoformat() if self.last_pulled_at else None,
            "statements_pulled": self.statements_pulled,
            "failures": self.failures,
            "last_error": self.last_error,
            "last_error_at": self.last_error_at.isoformat() if self.last_error_at else None,
            "pulling": self.pulling,
        }


@dataclass(frozen=True)
class ConnectionPull:
    """What one pull of a connection did: the statements it read, or the error it recorded."""

    connection_id: int
    tenant_id: int
    pulled: Pulled | None
    error: str | None
    next_pull_at: datetime


class LeaseLost(DomainError):
    """Another worker took the connection over while this one was pulling (the lease had run out)."""


def add_connection(
    uow: UnitOfWork,
    cipher: Fernet,
    tenant_id: int,
    endpoint: str,
    key: str,
    secret: str,
    now: datetime,
    every_minutes: int = DEFAULT_EVERY_MINUTES,
    label: str = "",
) -> Connection:
    """Store a connection, due at once; the secret is kept only encrypted."""
    endpoint = normalised_endpoint(endpoint)
    if not key.strip():
        raise InvalidInput(KEY_EMPTY())
    if not secret:
        raise InvalidInput(SECRET_EMPTY())
    if len(key) > 200:
        raise InvalidInput(TOO_LONG(field="key", most=200))
    if len(endpoint) > 500:
        raise InvalidInput(TOO_LONG(field="endpoint", most=500))
    if not 1 <= every_minutes <= MAX_EVERY_MINUTES:
        raise InvalidInput(EVERY_RANGE(most=MAX_EVERY_MINUTES, got=every_minutes))
    if len(label) > MAX_LABEL:
        raise InvalidInput(TOO_LONG(field="label", most=MAX_LABEL))
    existing = uow.session.scalar(
        select(ConnectionRecord).where(
            ConnectionRecord.tenant_id == tenant_id, ConnectionRecord.endpoint == endpoint, ConnectionRecord.key == key
        )
    )
    if existing is not None:
        raise Conflict(ALREADY_PULLS(connection=str(existing.id), endpoint=endpoint, key=key))
    record = ConnectionRecord(
        tenant_id=tenant_id,
        endpoint=endpoint,
        key=key,
        encrypted_secret=cipher.encrypt(secret.encode()).decode(),
        label=label,
        every_minutes=every_minutes,
        created_at=now,
        next_pull_at=now,
        statements_pulled=0,
        failures=0,
    )
    uow.session.add(record)
    uow.session.flush()
    return _connection(record, now)


def list_connections(uow: UnitOfWork, tenant_id: int, now: datetime) -> list[Connection]:
    """The tenant's connections, oldest first."""
    records = uow.session.scalars(
        select(ConnectionRecord).where(ConnectionRecord.tenant_id == tenant_id).order_by(ConnectionRecord.id)
    )
    return [_connection(record, now) for record in records]


def get_connection(uow: UnitOfWork, tenant_id: int, connection_id: int, now: datetime) -> Connection:
    """One of the tenant's connections, or NotFound."""
    return _connection(_record(uow, tenant_id, connection_id), now)


def remove_connection(uow: UnitOfWork, tenant_id: int, connection_id: int, now: datetime) -> Connection:
    """Delete a connection; its pull cursor stays, so adding it again resumes where it stopped."""
    record = _record(uow, tenant_id, connection_id)
    removed = _connection(record, now)
    uow.session.delete(record)
    uow.session.flush()
    return removed


def due_connections(uow: UnitOfWork, now: datetime) -> list[int]:
    """Ids of the connections of every tenant that are due and not being pulled, the longest-waiting first."""
    return list(
        uow.session.scalars(
            select(ConnectionRecord.id)
            .where(ConnectionRecord.next_pull_at <= now, _lease_free(now))
            .order_by(ConnectionRecord.next_pull_at, ConnectionRecord.id)
        )
    )


def pull_connection(
    unit_of_work: UnitOfWorkFactory,
    cipher: Fernet,
    connection_id: int,
    now: datetime,
    *,
    tenant_id: int | None = None,
    force: bool = False,
) -> ConnectionPull | None:
    """Pull one connection if it is due (or now, with `force`) and nobody else is pulling it.

    Returns None when it is not due or another worker holds it. A failure of the upstream, of its
    statements or of the stored secret is recorded on the connection and pushes its next pull back
    (doubling each time in a row, at most a day); it is not raised.
    """
    holder = secrets.token_hex(16)
    with unit_of_work() as uow:
        record = uow.session.get(ConnectionRecord, connection_id)
        if record is None or (tenant_id is not None and record.tenant_id != tenant_id):
            raise NotFound(NO_CONNECTION(id=str(connection_id)))
        claim = (
            update(ConnectionRecord)
            .where(ConnectionRecord.id == connection_id, _lease_free(now))
            .values(leased_until=now + LEASE, lease_holder=holder)
        )
        if not force:
            claim = claim.where(ConnectionRecord.next_pull_at <= now)
        if uow.session.execute(claim).rowcount != 1:  # type: ignore[attr-defined]
            if force:
                raise Conflict(BEING_PULLED(id=str(connection_id)))
            return None
        uow.commit()
        endpoint, key, every = record.endpoint, record.key, record.every_minutes
        owner, encrypted, failures = record.tenant_id, record.encrypted_secret, record.failures

    def renew_lease(page_uow: UnitOfWork, statements: int) -> None:
        renewed = page_uow.session.execute(
            update(ConnectionRecord)
            .where(ConnectionRecord.id == connection_id, ConnectionRecord.lease_holder == holder)
            .values(
                leased_until=utcnow() + LEASE,
                statements_pulled=ConnectionRecord.statements_pulled + statements,
            )
        )
        if renewed.rowcount != 1:  # type: ignore[attr-defined]
            raise LeaseLost(f"connection {connection_id} was taken over by another worker (its lease ran out)")

    pulled: Pulled | None = None
    error: str | None = None
    try:
        secret = cipher.decrypt(encrypted.encode()).decode()
        pulled = pull(unit_of_work, owner, endpoint, key, secret, on_page=renew_lease)
    except InvalidToken:
        error = (
            "the stored secret cannot be decrypted with this instance's connection key (SWEETSPOT_CONNECTION_KEY "
            "or the data directory's connection_key differs from the one it was added with): remove and add it again"
        )
    except DomainError as failure:
        error = str(failure)
    except Exception as failure:  # any failure is the connection's to report, not the worker's
        log.exception("pulling a connection failed unexpectedly", connection_id=connection_id)
        error = f"{type(failure).__name__}: {failure}"

    if pulled is not None:
        next_pull_at = now + timedelta(minutes=every)
        values: dict[str, Any] = {"next_pull_at": next_pull_at, "last_pulled_at": now, "failures": 0}
    else:
        next_pull_at = now + backoff(every, failures + 1)
        values = {
            "next_pull_at": next_pull_at,
            "failures": failures + 1,
            "last_error": error,
            "last_error_at": now,
        }
        log.warning("pulling a connection failed", connection_id=connection_id, endpoint=endpoint, error=error)
    with unit_of_work() as uow:
        uow.session.execute(
            update(ConnectionRecord)
            .where(ConnectionRecord.id == connection_id, ConnectionRecord.lease_holder == holder)
            .values(leased_until=None, lease_holder=None, **values)
        )
        uow.commit()
    return ConnectionPull(connection_id, owner, pulled, error, next_pull_at)


def backoff(every_minutes: int, failures: int) -> timedelta:
    """How long after its `failures`-th failure in a row a connection is tried again."""
    interval = timedelta(minutes=every_minutes)
    return max(interval, min(interval * 2 ** (failures - 1), MAX_BACKOFF))


def _lease_free(now: datetime) -> Any:
    return or_(ConnectionRecord.leased_until.is_(None), ConnectionRecord.leased_until < now)


def _record(uow: UnitOfWork, tenant_id: int, connection_id: int) -> ConnectionRecord:
    record = uow.session.get(ConnectionRecord, connection_id)
    if record is None or record.tenant_id != tenant_id:
        raise NotFound(NO_CONNECTION(id=str(connection_id)))
    return record


def _connection(record: ConnectionRecord, now: datetime) -> Connection:
    return Connection(
        id=record.id,
        tenant_id=record.tenant_id,
        endpoint=record.endpoint,
        key=record.key,
        label=record.label,
        every_minutes=record.every_minutes,
        created_at=record.created_at,
        next_pull_at=record.next_pull_at,
        last_pulled_at=record.last_pulled_at,
        statements_pulled=record.statements_pulled,
        failures=record.failures,
        last_error=record.last_error,
        last_error_at=record.last_error_at,
        pulling=record.leased_until is not None and record.leased_until > now,
    )
