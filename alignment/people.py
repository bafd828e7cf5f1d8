"""People and contexts: who learns and who manages, in which LTI context (course or team space).

A person is known by the LMS user id (the LTI `sub`) where they have launched, or is provisional
when only xAPI has named them so far. Managers are people with a manager role in a context.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, String, UniqueConstraint, bindparam, case, func, select
from sqlalchemy.orm import Mapped, mapped_column

from alignment import sentences
from alignment.database import Base, UnitOfWork, among, among_param, dialect_of, insert_for, utcnow
from alignment.errors import InvalidInput, NotFound


class Role(StrEnum):
    """What a person does in a context."""

    LEARNER = "learner"
    MANAGER = "manager"


class PersonRecord(Base):
    """A person of a tenant."""

    __tablename__ = "people"
    __table_args__ = (UniqueConstraint("tenant_id", "lms_user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    lms_user_id: Mapped[str | None] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    provisional: Mapped[bool] = mapped_column(Boolean, default=False)
    role_started_on: Mapped[date | None]
    created_at: Mapped[datetime]
    role_label: Mapped[str | None] = mapped_column(String(100))
    """The person's job role as the organisation names it (an LTI custom parameter): it picks the org
    agenda for their role in a context, if the context has one."""


class ContextRecord(Base):
    """An LTI context of a tenant: a course or a team space."""

    __tablename__ = "contexts"
    __table_args__ = (UniqueConstraint("tenant_id", "lms_context_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    lms_context_id: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime]


class MembershipRecord(Base):
    """A person's role in a context; inactive once they leave the roster."""

    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("context_id", "person_id", "role"),
        Index("ix_memberships_person", "person_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    context_id: Mapped[int] = mapped_column(ForeignKey("contexts.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    joined_at: Mapped[datetime]


@dataclass(frozen=True)
class Person:
    """A learner or manager as the rest of the domain sees them."""

    id: int
    tenant_id: int
    name: str
    lms_user_id: str | None
    email: str | None
    provisional: bool
    role_started_on: date | None
    created_at: datetime
    role_label: str | None = None


@dataclass(frozen=True)
class Context:
    """A course or team space."""

    id: int
    tenant_id: int
    lms_context_id: str
    title: str


@dataclass(frozen=True)
class Member:
    """A person on a context's roster, with the date they joined it."""

    person: Person
    role: Role
    joined_at: datetime


def _person(record: PersonRecord) -> Person:
    return Person(
        id=record.id,
        tenant_id=record.tenant_id,
        name=record.name,
        lms_user_id=record.lms_user_id,
        email=record.email,
        provisional=record.provisional,
        role_started_on=record.role_started_on,
        created_at=record.created_at,
        role_label=record.role_label,
    )


def _context(record: ContextRecord) -> Context:
    return Context(record.id, record.tenant_id, record.lms_context_id, record.title)


def upsert_person(
    uow: UnitOfWork,
    tenant_id: int,
    lms_user_id: str,
    name: str,
    email: str | None = None,
    role_started_on: date | None = None,
    role_label: str | None = None,
) -> Person:
    """The person with this LMS user id in the tenant, created or updated with what the LMS says now.

    What the LMS leaves out (email, start in role, role label) keeps its earlier value; an empty role
    label clears it.
    """
    if not lms_user_id.strip():
        raise InvalidInput("lms_user_id must not be empty")
    values = {
        "tenant_id": tenant_id,
        "lms_user_id": lms_user_id,
        "name": _display_name(name, lms_user_id),
        "email": email or None,
        "role_started_on": role_started_on,
        "role_label": (clean_role_label(role_label) or None) if role_label is not None else None,
        "role_label_given": role_label is not None,
        "created_at": utcnow(),
    }
    # populate_existing: a record of this person already loaded in the session shows the new values.
    record = uow.session.scalars(
        _person_upsert(dialect_of(uow)), values, execution_options={"populate_existing": True}
    ).one()
    return _person(record)


@cache
def _person_upsert(dialect: str) -> Any:
    statement = insert_for(dialect, PersonRecord).values(
        tenant_id=bindparam("tenant_id"),
        lms_user_id=bindparam("lms_user_id"),
        name=bindparam("name"),
        email=bindparam("email"),
        provisional=False,
        role_started_on=bindparam("role_started_on"),
        role_label=bindparam("role_label"),
        created_at=bindparam("created_at"),
    )
    return statement.on_conflict_do_update(
        index_elements=[PersonRecord.tenant_id, PersonRecord.lms_user_id],
        set_={
            "name": statement.excluded.name,
            "email": func.coalesce(statement.excluded.email, PersonRecord.email),
            "role_started_on": func.coalesce(statement.excluded.role_started_on, PersonRecord.role_started_on),
            "role_label": case(
                (bindparam("role_label_given", type_=Boolean), statement.excluded.role_label),
                else_=PersonRecord.role_label,
            ),
            "provisional": False,
        },
    ).returning(PersonRecord)


def get_person(uow: UnitOfWork, tenant_id: int, person_id: int) -> Person:
    """The person with `person_id` in the tenant, or NotFound (also for another tenant's person)."""
    record = uow.session.get(PersonRecord, person_id)
    if record is None or record.tenant_id != tenant_id:
        raise NotFound(sentences.NOT_FOUND_PERSON(id=str(person_id)))
    return _person(record)


def upsert_context(uow: UnitOfWork, tenant_id: int, lms_context_id: str, title: str) -> Context:
    """The context with this LMS id in the tenant, created or renamed."""
    if not lms_context_id.strip():
        raise InvalidInput("lms_context_id must not be empty")
    values = {
        "tenant_id": tenant_id,
        "lms_context_id": lms_context_id,
        "title": (title.strip() or lms_context_id)[:300],
        "created_at": utcnow(),
    }
    record = uow.session.scalars(
        _context_upsert(dialect_of(uow)), values, execution_options={"populate_existing": True}
    ).one()
    return _context(record)


@cache
def _context_upsert(dialect: str) -> Any:
    statement = insert_for(dialect, ContextRecord).values(
        tenant_id=bindparam("tenant_id"),
        lms_context_id=bindparam("lms_context_id"),
        title=bindparam("title"),
        created_at=bindparam("created_at"),
    )
    return statement.on_conflict_do_update(
        index_elements=[ContextRecord.tenant_id, ContextRecord.lms_context_id],
        set_={"title": statement.excluded.title},
    ).returning(ContextRecord)


def find_context(uow: UnitOfWork, tenant_id: int, lms_context_id: str) -> Context:
    """The context the LMS calls `lms_context_id` in this tenant, or NotFound."""
    record = uow.session.scalar(
        select(ContextRecord).where(
            ContextRecord.tenant_id == tenant_id, ContextRecord.lms_context_id == lms_context_id
        )
    )
    if record is None:
        raise NotFound(f"no context {lms_context_id!r} in this tenant")
    return _context(record)


def get_context(uow: UnitOfWork, tenant_id: int, context_id: int) -> Context:
    """The context with `context_id` in the tenant, or NotFound."""
    record = uow.session.get(ContextRecord, context_id)
    if record is None or record.tenant_id != tenant_id:
        raise NotFound(sentences.NOT_FOUND_CONTEXT(id=str(context_id)))
    return _context(record)


def join(uow: UnitOfWork, context: Context, person: Person, role: Role, now: datetime | None = None) -> None:
    """Put the person on the context's roster in `role` from `now` (again active if they had left)."""
    if context.tenant_id != person.tenant_id:
        raise InvalidInput("a person can only join a context of their own tenant")
    values = {"context_id": context.id, "person_id": person.id, "role": role.value, "joined_at": now or utcnow()}
    uow.session.scalars(
        _membership_upsert(dialect_of(uow)), values, execution_options={"populate_existing": True}
    ).one()


@cache
def _membership_upsert(dialect: str) -> Any:
    statement = insert_for(dialect, MembershipRecord).values(
        context_id=bindparam("context_id"),
        person_id=bindparam("person_id"),
        role=bindparam("role"),
        active=True,
        joined_at=bindparam("joined_at"),
    )
    return statement.on_conflict_do_update(
        index_elements=[MembershipRecord.context_id, MembershipRecord.person_id, MembershipRecord.role],
        set_={"active": True},
    ).returning(MembershipRecord)


def leave(uow: UnitOfWork, context: Context, person: Person, role: Role) -> bool:
    """Take the person off the context's roster in `role` (kept, inactive); False if they were not on it."""
    record = uow.session.scalar(
        select(MembershipRecord).where(
            MembershipRecord.context_id == context.id,
            MembershipRecord.person_id == person.id,
            MembershipRecord.role == role.value,
            MembershipRecord.active.is_(True),
        )
    )
    if record is None:
        return False
    record.active = False
    uow.session.flush()
    return True


def find_person(uow: UnitOfWork, tenant_id: int, lms_user_id: str) -> Person | None:
    """The tenant's person with this LMS user id, if there is one."""
    record = uow.session.scalar(
        select(PersonRecord).where(PersonRecord.tenant_id == tenant_id, PersonRecord.lms_user_id == lms_user_id)
    )
    return _person(record) if record else None


def roster(
    uow: UnitOfWork, context: Context, role: Role = Role.LEARNER, person_ids: Sequence[int] | None = None
) -> list[Member]:
    """The active members of a context in `role` (all, or those of `person_ids`), by name."""
    query = select(*_MEMBER_COLUMNS).join(MembershipRecord, MembershipRecord.person_id == PersonRecord.id)
    query = query.where(
        MembershipRecord.context_id == context.id,
        MembershipRecord.role == role.value,
        MembershipRecord.active.is_(True),
    )
    if person_ids is not None:
        query = query.where(among(uow, PersonRecord.id, person_ids))
    # Plain columns, not ORM instances: a sweep reads every roster of a tenant.
    rows = uow.session.execute(query.order_by(PersonRecord.name, PersonRecord.id))
    return [Member(Person(*row[:9]), role, row[9]) for row in rows]


def learner_rosters(uow: UnitOfWork, tenant_id: int, person_ids: Sequence[int]) -> dict[Context, list[Member]]:
    """Every context where these people are active learners, each with those of them on its roster (by name),
    in one query."""
    rows = uow.session.execute(_rosters_query(dialect_of(uow)), {"tenant_id": tenant_id, "people": list(person_ids)})
    found: dict[Context, list[Member]] = {}
    for row in rows:
        context = Context(row[10], row[11], row[12], row[13])
        found.setdefault(context, []).append(Member(Person(*row[:9]), Role.LEARNER, row[9]))
    return found


@cache
def _rosters_query(dialect: str) -> Any:
    """The tenant's active learners `people`, with the context of each membership."""
    c = ContextRecord
    return (
        select(*_MEMBER_COLUMNS, c.id, c.tenant_id, c.lms_context_id, c.title)
        .join(MembershipRecord, MembershipRecord.person_id == PersonRecord.id)
        .join(c, c.id == MembershipRecord.context_id)
        .where(
            c.tenant_id == bindparam("tenant_id"),
            among_param(dialect, PersonRecord.id, "people"),
            MembershipRecord.role == Role.LEARNER.value,
            MembershipRecord.active.is_(True),
        )
        .order_by(c.id, PersonRecord.name, PersonRecord.id)
    )


_MEMBER_COLUMNS = (
    PersonRecord.id,
    PersonRecord.tenant_id,
    PersonRecord.name,
    PersonRecord.lms_user_id,
    PersonRecord.email,
    PersonRecord.provisional,
    PersonRecord.role_started_on,
    PersonRecord.created_at,
    PersonRecord.role_label,
    MembershipRecord.joined_at,
)
"""A member as read: the person's columns (`Person`'s fields in order), then when they joined."""


def clean_role_label(label: str) -> str:
    """A role label as stored and matched: inner spaces collapsed, at most 100 characters."""
    label = " ".join(label.split())
    if len(label) > 100:
        raise InvalidInput("role_label must be at most 100 characters")
    return label


def _display_name(name: str, fallback: str) -> str:
    name = " ".join(name.split())
    return (name or fallback)[:200]
