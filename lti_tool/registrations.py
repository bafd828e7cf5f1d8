"""Platform registrations, their deployments, and the single use of launch nonces.

A tenant (one customer organisation) owns registrations: an issuer and a client id, with the
platform's login, token and key-set URLs. Lookups always use both, because every hosted Canvas shares
one issuer and Open edX gives each course component a client id of its own. A deployment seen for
the first time at launch is recorded as pending until an admin activates it, unless the registration
says new deployments may be activated automatically.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    and_,
    bindparam,
    delete,
    exists,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from alignment.database import Base, UnitOfWork, UtcDateTime, dialect_of, insert_for, utcnow
from alignment.errors import Conflict, InvalidInput, NotFound
from alignment.messages import N_, Kind, Sentence

NO_DEPLOYMENT = Sentence("deployment.not_found", N_("no deployment %(id)s in this tenant"), {"id": Kind.TEXT})


class DeploymentStatus(StrEnum):
    """Whether launches through a deployment are let in."""

    PENDING = "pending"
    ACTIVE = "active"
    DISABLED = "disabled"


class RegistrationRecord(Base):
    """One platform registration of a tenant."""

    __tablename__ = "lti_registrations"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    label: Mapped[str] = mapped_column(String(200))
    auth_login_url: Mapped[str] = mapped_column(String(1000))
    auth_token_url: Mapped[str] = mapped_column(String(1000))
    auth_audience: Mapped[str | None] = mapped_column(String(1000))
    key_set_url: Mapped[str] = mapped_column(String(1000))
    activate_deployments: Mapped[bool] = mapped_column(Boolean, default=False)
    created_via: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]


class DeploymentRecord(Base):
    """One deployment of the tool in a platform (an install at site, course or component level)."""

    __tablename__ = "lti_deployments"
    __table_args__ = (UniqueConstraint("registration_id", "deployment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("lti_registrations.id", ondelete="CASCADE"))
    deployment_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20))
    first_seen_at: Mapped[datetime]
    activated_at: Mapped[datetime | None]


class UsedNonceRecord(Base):
    """A nonce of an accepted launch, kept until its id_token could no longer be valid."""

    __tablename__ = "lti_used_nonces"
    __table_args__ = (UniqueConstraint("registration_id", "nonce"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("lti_registrations.id", ondelete="CASCADE"))
    nonce: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[datetime] = mapped_column(index=True)


@dataclass(frozen=True)
class Registration:
    """A platform registration as the launch and the services need it."""

    id: int
    tenant_id: int
    issuer: str
    client_id: str
    label: str
    auth_login_url: str
    auth_token_url: str
    auth_audience: str | None
    key_set_url: str
    activate_deployments: bool
    created_via: str


@dataclass(frozen=True)
class Deployment:
    """A deployment and whether it is let in."""

    id: int
    registration_id: int
    deployment_id: str
    status: DeploymentStatus
    first_seen_at: datetime
    activated_at: datetime | None


@dataclass(frozen=True)
class PlatformDraft:
    """What an admin or dynamic registration tells us about a platform."""

    issuer: str
    client_id: str
    auth_login_url: str
    auth_token_url: str
    key_set_url: str
    label: str = ""
    auth_audience: str | None = None
    activate_deployments: bool = False


def add_registration(
    uow: UnitOfWork, tenant_id: int, draft: PlatformDraft, created_via: str = "manual"
) -> Registration:
    """Register a platform for the tenant; the issuer and client id pair must be new."""
    issuer = _url("issuer", draft.issuer)
    client_id = draft.client_id.strip()
    if not client_id or len(client_id) > 255:
        raise InvalidInput("client_id must be 1 to 255 characters")
    urls = {name: _url(name, getattr(draft, name)) for name in ("auth_login_url", "auth_token_url", "key_set_url")}
    existing = uow.session.scalar(
        select(RegistrationRecord).where(RegistrationRecord.issuer == issuer, RegistrationRecord.client_id == client_id)
    )
    if existing is not None:
        raise Conflict(f"the platform {issuer} with client id {client_id} is already registered")
    record = RegistrationRecord(
        tenant_id=tenant_id,
        issuer=issuer,
        client_id=client_id,
        label=(draft.label.strip() or urlsplit(issuer).netloc)[:200],
        auth_audience=draft.auth_audience or None,
        activate_deployments=draft.activate_deployments,
        created_via=created_via,
        created_at=utcnow(),
        **urls,
    )
    uow.session.add(record)
    uow.session.flush()
    return _registration(record)


def find_registration(uow: UnitOfWork, issuer: str, client_id: str | None) -> Registration | None:
    """The registration of `issuer` and `client_id`; without a client id, the issuer's only one."""
    query = select(RegistrationRecord).where(RegistrationRecord.issuer == issuer)
    if client_id:
        query = query.where(RegistrationRecord.client_id == client_id)
    records = list(uow.session.scalars(query.limit(2)))
    return _registration(records[0]) if len(records) == 1 else None


def get_registration(uow: UnitOfWork, tenant_id: int, registration_id: int) -> Registration:
    """The tenant's registration with this id, or NotFound."""
    record = uow.session.get(RegistrationRecord, registration_id)
    if record is None or record.tenant_id != tenant_id:
        raise NotFound(f"no platform registration {registration_id} in this tenant")
    return _registration(record)


def registration_by_id(uow: UnitOfWork, registration_id: int) -> Registration:
    """The registration with this Sweetspot id, whatever its tenant (for jobs that carry the id), or NotFound."""
    record = uow.session.get(RegistrationRecord, registration_id)
    if record is None:
        raise NotFound(f"no registration {registration_id}")
    return _registration(record)


def registrations_of(uow: UnitOfWork, tenant_id: int) -> list[Registration]:
    """The tenant's registrations, oldest first."""
    records = uow.session.scalars(
        select(RegistrationRecord).where(RegistrationRecord.tenant_id == tenant_id).order_by(RegistrationRecord.id)
    )
    return [_registration(r) for r in records]


def add_deployment(
    uow: UnitOfWork, registration: Registration, deployment_id: str, status: DeploymentStatus = DeploymentStatus.ACTIVE
) -> Deployment:
    """Record a deployment an admin names (active unless said otherwise); known ones are left as they are."""
    deployment_id = deployment_id.strip()
    if not deployment_id or len(deployment_id) > 255:
        raise InvalidInput("deployment_id must be 1 to 255 characters")
    record = _deployment_record(uow, registration.id, deployment_id)
    if record is None:
        now = utcnow()
        record = DeploymentRecord(
            registration_id=registration.id,
            deployment_id=deployment_id,
            status=status.value,
            first_seen_at=now,
            activated_at=now if status is DeploymentStatus.ACTIVE else None,
        )
        uow.session.add(record)
        uow.session.flush()
    return _deployment(record)


def deployment_seen_at_launch(uow: UnitOfWork, registration: Registration, deployment_id: str) -> Deployment:
    """The deployment a launch names, recorded on first sight: active if the registration allows, else pending."""
    status = DeploymentStatus.ACTIVE if registration.activate_deployments else DeploymentStatus.PENDING
    return add_deployment(uow, registration, deployment_id, status)


def set_deployment_status(uow: UnitOfWork, tenant_id: int, deployment_key: int, status: DeploymentStatus) -> Deployment:
    """Activate or disable one of the tenant's deployments (by its Sweetspot id)."""
    record = uow.session.get(DeploymentRecord, deployment_key)
    registration = uow.session.get(RegistrationRecord, record.registration_id) if record else None
    if record is None or registration is None or registration.tenant_id != tenant_id:
        raise NotFound(NO_DEPLOYMENT(id=str(deployment_key)))
    record.status = status.value
    if status is DeploymentStatus.ACTIVE and record.activated_at is None:
        record.activated_at = utcnow()
    uow.session.flush()
    return _deployment(record)


def deployments_of(uow: UnitOfWork, registration_id: int) -> list[Deployment]:
    """A registration's deployments, oldest first."""
    records = uow.session.scalars(
        select(DeploymentRecord)
        .where(DeploymentRecord.registration_id == registration_id)
        .order_by(DeploymentRecord.id)
    )
    return [_deployment(r) for r in records]


def use_nonce(uow: UnitOfWork, registration_id: int, nonce: str, expires_at: datetime) -> bool:
    """Record the nonce as used; False if it was used before (a replayed launch)."""
    return _use_nonce(uow, registration_id, nonce, expires_at, None)


def use_nonce_through_active_deployment(
    uow: UnitOfWork, registration_id: int, deployment_id: str, nonce: str, expires_at: datetime
) -> bool:
    """Record the nonce as used if the deployment is active, in one statement.

    False if the nonce was used before or the deployment is not known and active; the launch then asks
    `find_deployment` which it was. One round trip to the database for the two checks every launch needs.
    """
    return _use_nonce(uow, registration_id, nonce, expires_at, deployment_id)


def _use_nonce(
    uow: UnitOfWork, registration_id: int, nonce: str, expires_at: datetime, deployment_id: str | None
) -> bool:
    if not nonce or len(nonce) > 255:
        return False
    if secrets.randbelow(100) == 0:
        # Now and then, forget nonces whose tokens have long expired (a replay of those fails on exp).
        uow.session.execute(delete(UsedNonceRecord).where(UsedNonceRecord.expires_at < utcnow() - timedelta(minutes=5)))
    values = {"registration_id": registration_id, "nonce": nonce, "expires_at": expires_at}
    if deployment_id is None:
        return uow.session.execute(_nonce_insert(dialect_of(uow), False), values).first() is not None
    values |= {"deployment_id": deployment_id, "active": DeploymentStatus.ACTIVE.value}
    return uow.session.execute(_nonce_insert(dialect_of(uow), True), values).first() is not None


@cache
def _nonce_insert(dialect: str, through_deployment: bool) -> Any:
    # INSERT … SELECT … WHERE: SQLite needs the WHERE to read ON CONFLICT as the upsert clause.
    row = select(
        bindparam("registration_id", type_=Integer()),
        bindparam("nonce", type_=String()),
        bindparam("expires_at", type_=UtcDateTime()),
    ).where(true())
    if through_deployment:
        row = row.where(
            exists().where(
                DeploymentRecord.registration_id == bindparam("registration_id", type_=Integer()),
                DeploymentRecord.deployment_id == bindparam("deployment_id"),
                DeploymentRecord.status == bindparam("active"),
            )
        )
    return (
        insert_for(dialect, UsedNonceRecord.__table__)
        .from_select(["registration_id", "nonce", "expires_at"], row)
        .on_conflict_do_nothing(index_elements=[UsedNonceRecord.registration_id, UsedNonceRecord.nonce])
        .returning(UsedNonceRecord.id)
    )


def _deployment_record(uow: UnitOfWork, registration_id: int, deployment_id: str) -> DeploymentRecord | None:
    return uow.session.scalar(
        select(DeploymentRecord).where(
            DeploymentRecord.registration_id == registration_id, DeploymentRecord.deployment_id == deployment_id
        )
    )


def find_deployment(uow: UnitOfWork, registration: Registration, deployment_id: str) -> Deployment | None:
    """The registration's deployment with this id, if it was ever seen."""
    record = _deployment_record(uow, registration.id, deployment_id)
    return _deployment(record) if record else None


def _url(name: str, value: str) -> str:
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(value) > 1000:
        raise InvalidInput(f"{name} must be an http(s) URL, got {value!r}")
    return value


def _registration(record: RegistrationRecord) -> Registration:
    return Registration(
        record.id,
        record.tenant_id,
        record.issuer,
        record.client_id,
        record.label,
        record.auth_login_url,
        record.auth_token_url,
        record.auth_audience,
        record.key_set_url,
        record.activate_deployments,
        record.created_via,
    )


def _deployment(record: DeploymentRecord) -> Deployment:
    return Deployment(
        record.id,
        record.registration_id,
        record.deployment_id,
        DeploymentStatus(record.status),
        record.first_seen_at,
        record.activated_at,
    )


class ServiceLinkRecord(Base):
    """Where a context's grade and roster services live, as the latest launch from it said."""

    __tablename__ = "lti_service_links"
    __table_args__ = (UniqueConstraint("registration_id", "context_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("lti_registrations.id", ondelete="CASCADE"))
    context_id: Mapped[int] = mapped_column(ForeignKey("contexts.id", ondelete="CASCADE"), index=True)
    deployment_id: Mapped[str] = mapped_column(String(255))
    lineitems_url: Mapped[str | None] = mapped_column(String(1000))
    ags_scopes: Mapped[str] = mapped_column(String(1000), default="")
    memberships_url: Mapped[str | None] = mapped_column(String(1000))
    updated_at: Mapped[datetime]


def remember_service_links(
    uow: UnitOfWork,
    registration_id: int,
    context_id: int,
    deployment_id: str,
    lineitems_url: str | None,
    ags_scopes: list[str],
    memberships_url: str | None,
) -> None:
    """Keep the AGS and NRPS endpoints a launch named for the context (the latest launch wins).

    What a launch leaves out keeps its earlier value. One statement: the row is written only when
    something changed, so `updated_at` says when the platform last told us something new.
    """
    values = {
        "registration_id": registration_id,
        "context_id": context_id,
        "deployment_id": deployment_id,
        "lineitems_url": lineitems_url,
        "ags_scopes": " ".join(sorted(ags_scopes)),
        "memberships_url": memberships_url,
        "updated_at": utcnow(),
    }
    uow.session.execute(_service_link_upsert(dialect_of(uow)), values)


@cache
def _service_link_upsert(dialect: str) -> Any:
    table = ServiceLinkRecord.__table__.c
    statement = insert_for(dialect, ServiceLinkRecord.__table__).values(
        {name: bindparam(name) for name in SERVICE_LINK_VALUES}
    )
    new = statement.excluded
    return statement.on_conflict_do_update(
        index_elements=[table.registration_id, table.context_id],
        set_={
            "deployment_id": new.deployment_id,
            "lineitems_url": func.coalesce(new.lineitems_url, table.lineitems_url),
            "ags_scopes": func.coalesce(func.nullif(new.ags_scopes, ""), table.ags_scopes),
            "memberships_url": func.coalesce(new.memberships_url, table.memberships_url),
            "updated_at": new.updated_at,
        },
        where=or_(
            table.deployment_id != new.deployment_id,
            and_(new.lineitems_url.is_not(None), table.lineitems_url.is_distinct_from(new.lineitems_url)),
            and_(new.ags_scopes != "", table.ags_scopes != new.ags_scopes),
            and_(new.memberships_url.is_not(None), table.memberships_url.is_distinct_from(new.memberships_url)),
        ),
    )


SERVICE_LINK_VALUES = (
    "registration_id",
    "context_id",
    "deployment_id",
    "lineitems_url",
    "ags_scopes",
    "memberships_url",
    "updated_at",
)
