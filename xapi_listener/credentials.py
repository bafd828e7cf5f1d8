"""xAPI credentials: HTTP Basic key and secret pairs issued per tenant (xAPI 1.0.3 Part Three §4).

The secret is shown once and stored only as its SHA-256 digest: it is 256 random bits, so a fast hash
is safe (nothing to brute-force) and checking a request costs microseconds, not a key-derivation.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, select
from sqlalchemy.orm import Mapped, mapped_column

from alignment.database import Base, UnitOfWork, utcnow
from alignment.errors import Conflict, InvalidInput, NotFound
from alignment.messages import N_, Kind, Sentence

KEY_PREFIX = "ssk_"
XAPI_VERSIONS = ("1.0.3", "2.0.0")
"""The versions a credential's client may speak; the first is the default."""

# Why a credential cannot be issued or revoked, said on the admin page in the visitor's language.
LABEL_LONG = Sentence("credential.label_long", N_("label must be at most %(most)s characters"), {"most": Kind.NUMBER})
NO_CREDENTIAL = Sentence("credential.not_found", N_("no xAPI credential with key %(key)s"), {"key": Kind.TEXT})
UNKNOWN_VERSION = Sentence(
    "credential.unknown_version",
    N_("xapi_version must be one of %(versions)s, got %(got)s"),
    {"versions": Kind.TEXT, "got": Kind.TEXT},
)
ALREADY_REVOKED = Sentence(
    "credential.already_revoked",
    N_("credential %(key)s was already revoked on %(on)s"),
    {"key": Kind.TEXT, "on": Kind.DATE},
)


class CredentialRecord(Base):
    """A credential as stored: the key in clear, the secret as a digest."""

    __tablename__ = "xapi_credentials"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    secret_digest: Mapped[str] = mapped_column(String(64))
    read_only: Mapped[bool] = mapped_column(Boolean)
    label: Mapped[str] = mapped_column(String(200))
    xapi_version: Mapped[str] = mapped_column(String(8), server_default=XAPI_VERSIONS[0])
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


@dataclass(frozen=True)
class Credential:
    """A credential as the listener and admins see it (never with its secret)."""

    id: int
    tenant_id: int
    key: str
    read_only: bool
    label: str
    created_at: datetime
    revoked_at: datetime | None
    xapi_version: str = XAPI_VERSIONS[0]
    """The xAPI version its client speaks: what a request that names no version is answered with."""


@dataclass(frozen=True)
class IssuedCredential:
    """A new credential with its secret, which is shown this once and never again."""

    credential: Credential
    secret: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _credential(record: CredentialRecord) -> Credential:
    return Credential(
        id=record.id,
        tenant_id=record.tenant_id,
        key=record.key,
        read_only=record.read_only,
        label=record.label,
        created_at=record.created_at,
        revoked_at=record.revoked_at,
        xapi_version=record.xapi_version,
    )


def issue_credential(
    uow: UnitOfWork, tenant_id: int, read_only: bool = False, label: str = "", xapi_version: str = XAPI_VERSIONS[0]
) -> IssuedCredential:
    """Issue a new key and secret for the tenant, for a client that speaks `xapi_version`."""
    label = " ".join(label.split())
    if len(label) > 200:
        raise InvalidInput(LABEL_LONG(most=200))
    if xapi_version not in XAPI_VERSIONS:
        raise InvalidInput(UNKNOWN_VERSION(versions=", ".join(XAPI_VERSIONS), got=repr(xapi_version)))
    secret = secrets.token_urlsafe(32)
    record = CredentialRecord(
        tenant_id=tenant_id,
        key=KEY_PREFIX + secrets.token_hex(12),
        secret_digest=_digest(secret),
        read_only=read_only,
        label=label,
        xapi_version=xapi_version,
        created_at=utcnow(),
    )
    uow.session.add(record)
    uow.session.flush()
    return IssuedCredential(_credential(record), secret)


def revoke_credential(uow: UnitOfWork, key: str, tenant_id: int | None = None) -> Credential:
    """Stop a credential from working, at once; its statements stay."""
    record = uow.session.scalar(select(CredentialRecord).where(CredentialRecord.key == key))
    if record is None or (tenant_id is not None and record.tenant_id != tenant_id):
        raise NotFound(NO_CREDENTIAL(key=key))
    if record.revoked_at is not None:
        raise Conflict(ALREADY_REVOKED(key=key, on=record.revoked_at.date()))
    record.revoked_at = utcnow()
    uow.session.flush()
    return _credential(record)


def list_credentials(uow: UnitOfWork, tenant_id: int) -> list[Credential]:
    """The tenant's credentials, newest first, revoked ones included."""
    records = uow.session.scalars(
        select(CredentialRecord)
        .where(CredentialRecord.tenant_id == tenant_id)
        .order_by(CredentialRecord.created_at.desc(), CredentialRecord.id.desc())
    )
    return [_credential(r) for r in records]


def authenticate(uow: UnitOfWork, key: str, secret: str) -> Credential | None:
    """The live credential these match, or None (the same work is done whether or not the key exists)."""
    record = uow.session.scalar(select(CredentialRecord).where(CredentialRecord.key == key))
    expected = record.secret_digest if record is not None else _digest("no such key: " + key)
    matches = hmac.compare_digest(expected, _digest(secret))
    if record is None or not matches or record.revoked_at is not None:
        return None
    return _credential(record)


class CredentialCache:
    """Credentials this process authenticated recently, so that storing statements needs no credential query.

    A credential never changes after it is issued except for being revoked, so an entry is only a question of
    revocation. The cache serves only the statement writes whose INSERT checks revocation itself in the
    snapshot it writes in (`store.insert_at_once`), and the transactional path authenticates again in its
    transaction: a revoked credential writes nothing from the moment the revocation commits. Entries still
    expire after `ttl_seconds`, which bounds how long a revoked credential is answered from the cache at all
    (a revoked one then gets 401 from the INSERT's fallback, never a write).
    """

    def __init__(
        self, ttl_seconds: float = 60.0, max_entries: int = 10_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl_seconds
        self._max_entries = max_entries
        self._clock = clock
        self._entries: dict[str, tuple[str, Credential, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, secret: str) -> Credential | None:
        """The cached credential for this key if the secret matches and the entry is fresh, else None."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        digest, credential, expires = entry
        if self._clock() >= expires or not hmac.compare_digest(digest, _digest(secret)):
            return None
        return credential

    def put(self, credential: Credential, secret: str) -> None:
        """Remember a credential just authenticated with `secret` against the database."""
        with self._lock:
            if len(self._entries) >= self._max_entries:
                self._entries.clear()  # many live keys at once is rare; starting over is cheaper than LRU upkeep
            self._entries[credential.key] = (_digest(secret), credential, self._clock() + self._ttl)

    def forget(self, key: str) -> None:
        """Drop the entry for `key` (it failed to authenticate against the database)."""
        with self._lock:
            self._entries.pop(key, None)
