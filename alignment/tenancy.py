"""Tenants: one customer organisation each. Every row of data belongs to exactly one tenant."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, String, select, update
from sqlalchemy.orm import Mapped, mapped_column

from alignment.database import Base, UnitOfWork, utcnow
from alignment.errors import Conflict, InvalidInput, NotFound

SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


class TenantRecord(Base):
    """A tenant as stored."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime]
    catalogue_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Counts changes to the tenant's skills and opportunities, so that what is worked out from the
    catalogue can be kept between units of work and known to be current."""


@dataclass(frozen=True)
class Tenant:
    """A customer organisation: a short slug used in URLs and commands, and a display name."""

    id: int
    slug: str
    name: str
    created_at: datetime


def _to_tenant(record: TenantRecord) -> Tenant:
    return Tenant(record.id, record.slug, record.name, record.created_at)


def create_tenant(uow: UnitOfWork, slug: str, name: str) -> Tenant:
    """Create a tenant; the slug is lower-case letters, digits and inner hyphens, at most 63 long."""
    if not SLUG_PATTERN.fullmatch(slug):
        raise InvalidInput(
            f"slug {slug!r} is not valid: use 1 to 63 lower-case letters, digits and hyphens, "
            "starting and ending with a letter or digit"
        )
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput("name must be 1 to 200 characters")
    if uow.session.scalar(select(TenantRecord.id).where(TenantRecord.slug == slug)) is not None:
        raise Conflict(f"a tenant with slug {slug!r} already exists")
    record = TenantRecord(slug=slug, name=name, created_at=utcnow())
    uow.session.add(record)
    uow.session.flush()
    return _to_tenant(record)


def list_tenants(uow: UnitOfWork) -> list[Tenant]:
    """Every tenant, by slug."""
    records = uow.session.scalars(select(TenantRecord).order_by(TenantRecord.slug))
    return [_to_tenant(record) for record in records]


def get_tenant(uow: UnitOfWork, slug: str) -> Tenant:
    """The tenant with `slug`, or NotFound."""
    record = uow.session.scalar(select(TenantRecord).where(TenantRecord.slug == slug))
    if record is None:
        raise NotFound(f"no tenant with slug {slug!r}")
    return _to_tenant(record)


def catalogue_changed(uow: UnitOfWork, tenant_id: int) -> None:
    """Record that the tenant's skills or opportunities changed (in this unit of work)."""
    uow.session.execute(
        update(TenantRecord)
        .where(TenantRecord.id == tenant_id)
        .values(catalogue_version=TenantRecord.catalogue_version + 1)
        .execution_options(synchronize_session=False)
    )


def catalogue_version(uow: UnitOfWork, tenant_id: int) -> int:
    """How many times the tenant's skills or opportunities have changed."""
    return uow.session.scalar(select(TenantRecord.catalogue_version).where(TenantRecord.id == tenant_id)) or 0
