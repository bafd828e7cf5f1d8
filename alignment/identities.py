"""Who an xAPI actor is: resolving mbox, account, openid and mbox_sha1sum to a person of the tenant.

An actor resolves, in order, to a person already linked to one of its identifiers, to the person
whose email it names, or to the person whose LMS user id an `account.name` carries (Moodle's
logstore_xapi sends the Moodle user id with the site URL as homePage). An actor nobody matches
becomes a provisional person, so xAPI-only data still yields roadmaps and flags; when the real person
launches over LTI, `merge_people` folds the provisional one into them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import ForeignKey, String, UniqueConstraint, delete, func, select, update
from sqlalchemy.orm import Mapped, mapped_column

from alignment.database import Base, UnitOfWork, utcnow
from alignment.errors import InvalidInput
from alignment.events import reassign_events
from alignment.flags import StallFlagRecord
from alignment.people import MembershipRecord, PersonRecord
from alignment.roadmaps import RoadmapRecord
from alignment.sweeps import MomentumRecord


class IdentityRecord(Base):
    """One identifier of a person (kind and value), unique within a tenant."""

    __tablename__ = "person_identities"
    __table_args__ = (UniqueConstraint("tenant_id", "kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(600))


KINDS = ("email", "mbox_sha1sum", "openid", "account", "lms_user_id")


@dataclass(frozen=True)
class Identifier:
    """An identifier as an edge hands it over: `email` (no mailto:), `mbox_sha1sum`, `openid`, `account`."""

    kind: str
    value: str


def email_sha1(email: str) -> str:
    """The xAPI mbox_sha1sum of an email address (SHA-1 of its `mailto:` IRI)."""
    return hashlib.sha1(f"mailto:{email}".encode()).hexdigest()  # noqa: S324 (the xAPI spec fixes SHA-1)


def link(uow: UnitOfWork, tenant_id: int, person_id: int, identifier: Identifier) -> None:
    """Record that the identifier names this person (an LTI custom `$User.id`, say)."""
    if identifier.kind not in KINDS:
        raise InvalidInput(f"unknown identifier kind {identifier.kind!r}")
    value = _normal(identifier)
    existing = uow.session.scalar(
        select(IdentityRecord).where(
            IdentityRecord.tenant_id == tenant_id, IdentityRecord.kind == identifier.kind, IdentityRecord.value == value
        )
    )
    if existing is None:
        uow.session.add(IdentityRecord(tenant_id=tenant_id, person_id=person_id, kind=identifier.kind, value=value))
        uow.session.flush()


def resolve_actor(
    uow: UnitOfWork, tenant_id: int, identifiers: list[Identifier], name: str | None, account_name: str | None = None
) -> int:
    """The person these identifiers name, creating a provisional one when nobody matches."""
    if not identifiers:
        raise InvalidInput("an actor needs at least one identifier")
    normal = [(i.kind, _normal(i)) for i in identifiers]
    for kind, value in normal:
        person = uow.session.scalar(
            select(IdentityRecord.person_id).where(
                IdentityRecord.tenant_id == tenant_id, IdentityRecord.kind == kind, IdentityRecord.value == value
            )
        )
        if person is not None:
            return person
    person = _match_person(uow, tenant_id, normal, account_name)
    if person is None:
        record = PersonRecord(
            tenant_id=tenant_id,
            lms_user_id=None,
            name=" ".join((name or "").split())[:200] or "Unknown learner",
            email=next((v for k, v in normal if k == "email"), None),
            provisional=True,
            created_at=utcnow(),
        )
        uow.session.add(record)
        uow.session.flush()
        person = record.id
    for kind, value in normal:
        link(uow, tenant_id, person, Identifier(kind, value))
    return person


def merge_people(uow: UnitOfWork, tenant_id: int, provisional_id: int, person_id: int) -> None:
    """Fold a provisional person into the real one: identities, events, memberships, roadmaps and flags move."""
    provisional = uow.session.get(PersonRecord, provisional_id)
    if provisional is None or provisional.tenant_id != tenant_id or not provisional.provisional:
        raise InvalidInput(f"person {provisional_id} is not a provisional person of this tenant")
    reassign_events(uow, tenant_id, provisional_id, person_id)
    for table in (IdentityRecord, RoadmapRecord, StallFlagRecord, MomentumRecord):
        uow.session.execute(update(table).where(table.person_id == provisional_id).values(person_id=person_id))
    held = set(
        uow.session.execute(
            select(MembershipRecord.context_id, MembershipRecord.role).where(MembershipRecord.person_id == person_id)
        ).all()
    )
    for membership in list(
        uow.session.scalars(select(MembershipRecord).where(MembershipRecord.person_id == provisional_id))
    ):
        if (membership.context_id, membership.role) in held:
            uow.session.delete(membership)
        else:
            membership.person_id = person_id
    uow.session.flush()
    uow.session.execute(delete(PersonRecord).where(PersonRecord.id == provisional_id))
    uow.session.flush()


def _match_person(
    uow: UnitOfWork, tenant_id: int, normal: list[tuple[str, str]], account_name: str | None
) -> int | None:
    for kind, value in normal:
        if kind == "email":
            found = uow.session.scalar(
                select(PersonRecord.id).where(
                    PersonRecord.tenant_id == tenant_id, func.lower(PersonRecord.email) == value
                )
            )
            if found is not None:
                return found
    if account_name:
        return uow.session.scalar(
            select(PersonRecord.id).where(PersonRecord.tenant_id == tenant_id, PersonRecord.lms_user_id == account_name)
        )
    return None


def _normal(identifier: Identifier) -> str:
    value = identifier.value.strip()
    if identifier.kind in ("email", "mbox_sha1sum"):
        value = value.lower()
    if len(value) > 600 or not value:
        raise InvalidInput(f"{identifier.kind} identifier must be 1 to 600 characters")
    return value
