"""Growth agendas: what a learner wants to grow in, and what the organisation needs in a context.

Every change is kept as a new dated version, so a roadmap or a back-test can say which agenda it
was planned on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import (
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    cast,
    func,
    null,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column

from alignment import sentences
from alignment.catalogue import active_skills_by_id
from alignment.database import Base, UnitOfWork, among_param, dialect_of, utcnow
from alignment.errors import InvalidInput, NotFound
from alignment.opportunities import ACTIVE, OpportunityRecord
from alignment.people import ContextRecord, MembershipRecord, PersonRecord, Role, clean_role_label
from alignment.rules.quadrants import Interest, Need, OrgNeed

Level = TypeVar("Level", Interest, Need)

DEFAULT_WEEKLY_HOURS = 2.0
MIN_WEEKLY_HOURS = 0.25
MAX_WEEKLY_HOURS = 40.0
MAX_ASPIRATIONS = 4000
MAX_WHY = 2000


class PersonalAgendaRecord(Base):
    """One version of a learner's personal growth agenda."""

    __tablename__ = "personal_agendas"
    __table_args__ = (UniqueConstraint("person_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    weekly_hours: Mapped[float] = mapped_column(Float)
    aspirations: Mapped[str] = mapped_column(Text)
    target_role: Mapped[str | None] = mapped_column(String(200))


class PersonalInterestRecord(Base):
    """A learner's interest in one skill, in one version of their agenda."""

    __tablename__ = "personal_agenda_skills"

    agenda_id: Mapped[int] = mapped_column(ForeignKey("personal_agendas.id", ondelete="CASCADE"), primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id"), primary_key=True)
    interest: Mapped[int] = mapped_column(Integer)


class OrgAgendaRecord(Base):
    """One version of the organisation's growth agenda for a context (and optionally a role label)."""

    __tablename__ = "org_agendas"
    __table_args__ = (UniqueConstraint("context_id", "role_label", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    context_id: Mapped[int] = mapped_column(ForeignKey("contexts.id", ondelete="CASCADE"))
    role_label: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id", ondelete="SET NULL"))


class OrgNeedRecord(Base):
    """The organisation's need for one skill, with its strategic why, in one agenda version."""

    __tablename__ = "org_agenda_skills"

    agenda_id: Mapped[int] = mapped_column(ForeignKey("org_agendas.id", ondelete="CASCADE"), primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id"), primary_key=True)
    need: Mapped[int] = mapped_column(Integer)
    why: Mapped[str] = mapped_column(Text)


class MandatoryItemRecord(Base):
    """An opportunity everyone in the context must finish by a date, in one agenda version."""

    __tablename__ = "org_agenda_mandatory_items"

    agenda_id: Mapped[int] = mapped_column(ForeignKey("org_agendas.id", ondelete="CASCADE"), primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunities.id"), primary_key=True)
    due_on: Mapped[date]


@dataclass(frozen=True)
class PersonalAgenda:
    """A version of what a learner wants to grow in."""

    person_id: int
    version: int
    created_at: datetime
    interests: Mapping[int, Interest]
    aspirations: str
    weekly_hours: float
    target_role: str | None


@dataclass(frozen=True)
class OrgAgenda:
    """A version of what the organisation needs in a context."""

    context_id: int
    role_label: str
    version: int
    created_at: datetime
    needs: Mapping[int, OrgNeed]
    mandatory: Mapping[int, date]
    author_id: int | None


# --- personal -------------------------------------------------------------------------------------------


def set_personal_agenda(
    uow: UnitOfWork,
    tenant_id: int,
    person_id: int,
    interests: Mapping[int, int],
    aspirations: str = "",
    weekly_hours: float = DEFAULT_WEEKLY_HOURS,
    target_role: str | None = None,
    now: datetime | None = None,
) -> PersonalAgenda:
    """Keep a new version of the learner's agenda, dated `now`; an unchanged agenda keeps the current version."""
    _person(uow, tenant_id, person_id)
    levels = {skill: _level(Interest, skill, value) for skill, value in interests.items()}
    active_skills_by_id(uow, tenant_id, levels)
    if not MIN_WEEKLY_HOURS <= weekly_hours <= MAX_WEEKLY_HOURS:
        raise InvalidInput(
            sentences.REFUSED_WEEKLY_HOURS(low=MIN_WEEKLY_HOURS, high=MAX_WEEKLY_HOURS, got=weekly_hours)
        )
    aspirations = aspirations.strip()
    if len(aspirations) > MAX_ASPIRATIONS:
        raise InvalidInput(sentences.REFUSED_ASPIRATIONS_LONG(most=MAX_ASPIRATIONS))
    target_role = " ".join((target_role or "").split()) or None
    if target_role is not None and len(target_role) > 200:
        raise InvalidInput(sentences.REFUSED_TARGET_ROLE_LONG(most=200))
    current = current_personal_agenda(uow, tenant_id, person_id)
    if current is not None and (
        dict(current.interests),
        current.aspirations,
        current.weekly_hours,
        current.target_role,
    ) == (levels, aspirations, weekly_hours, target_role):
        return current
    record = PersonalAgendaRecord(
        tenant_id=tenant_id,
        person_id=person_id,
        version=(current.version + 1) if current else 1,
        created_at=now or utcnow(),
        weekly_hours=weekly_hours,
        aspirations=aspirations,
        target_role=target_role,
    )
    uow.session.add(record)
    uow.session.flush()
    uow.session.add_all(
        PersonalInterestRecord(agenda_id=record.id, skill_id=skill, interest=int(level))
        for skill, level in levels.items()
    )
    uow.session.flush()
    return _personal(uow, record)


def current_personal_agenda(
    uow: UnitOfWork, tenant_id: int, person_id: int, as_of: datetime | None = None
) -> PersonalAgenda | None:
    """The learner's agenda as it stood at `as_of` (default: now), or None if they never set one."""
    query = select(PersonalAgendaRecord).where(
        PersonalAgendaRecord.tenant_id == tenant_id, PersonalAgendaRecord.person_id == person_id
    )
    if as_of is not None:
        query = query.where(PersonalAgendaRecord.created_at < as_of)
    record = uow.session.scalar(query.order_by(PersonalAgendaRecord.version.desc()).limit(1))
    return _personal(uow, record) if record else None


def personal_agenda_history(uow: UnitOfWork, tenant_id: int, person_id: int) -> list[PersonalAgenda]:
    """Every version of the learner's agenda, newest first."""
    records = uow.session.scalars(
        select(PersonalAgendaRecord)
        .where(PersonalAgendaRecord.tenant_id == tenant_id, PersonalAgendaRecord.person_id == person_id)
        .order_by(PersonalAgendaRecord.version.desc())
    )
    return [_personal(uow, r) for r in records]


def _personal(uow: UnitOfWork, record: PersonalAgendaRecord) -> PersonalAgenda:
    rows = uow.session.scalars(select(PersonalInterestRecord).where(PersonalInterestRecord.agenda_id == record.id))
    return PersonalAgenda(
        person_id=record.person_id,
        version=record.version,
        created_at=record.created_at,
        interests={r.skill_id: Interest(r.interest) for r in rows},
        aspirations=record.aspirations,
        weekly_hours=record.weekly_hours,
        target_role=record.target_role,
    )


# --- organisation ---------------------------------------------------------------------------------------


def set_org_agenda(
    uow: UnitOfWork,
    tenant_id: int,
    context_id: int,
    needs: Mapping[int, tuple[int, str]],
    mandatory: Mapping[int, date] | None = None,
    role_label: str = "",
    author_id: int | None = None,
    now: datetime | None = None,
) -> OrgAgenda:
    """Keep a new version of the organisation's agenda for the context; unchanged keeps the current one.

    Needs 2 (important) and 3 (critical) require a strategic why: it is what the manager says when
    framing an uphill item.
    """
    _context(uow, tenant_id, context_id)
    role_label = clean_role_label(role_label)
    skills = active_skills_by_id(uow, tenant_id, needs)
    checked: dict[int, OrgNeed] = {}
    for skill_id, (value, why) in needs.items():
        need = _level(Need, skill_id, value)
        why = " ".join(why.split())
        if need >= Need.IMPORTANT and not why:
            raise InvalidInput(sentences.REFUSED_WHY_MISSING(need=[(skills[skill_id].name, need.value)]))
        if len(why) > MAX_WHY:
            raise InvalidInput(sentences.REFUSED_WHY_LONG(skill=skills[skill_id].name, most=MAX_WHY))
        checked[skill_id] = OrgNeed(need, why)
    mandatory = dict(mandatory or {})
    _check_mandatory(uow, tenant_id, mandatory)
    current = current_org_agenda(uow, tenant_id, context_id, role_label)
    if current is not None and (dict(current.needs), dict(current.mandatory)) == (checked, mandatory):
        return current
    record = OrgAgendaRecord(
        tenant_id=tenant_id,
        context_id=context_id,
        role_label=role_label,
        version=(current.version + 1) if current else 1,
        created_at=now or utcnow(),
        author_id=author_id,
    )
    uow.session.add(record)
    uow.session.flush()
    uow.session.add_all(
        [OrgNeedRecord(agenda_id=record.id, skill_id=s, need=int(n.need), why=n.why) for s, n in checked.items()]
        + [MandatoryItemRecord(agenda_id=record.id, opportunity_id=o, due_on=d) for o, d in mandatory.items()]
    )
    uow.session.flush()
    return _org(uow, record)


def current_org_agenda(
    uow: UnitOfWork, tenant_id: int, context_id: int, role_label: str = "", as_of: datetime | None = None
) -> OrgAgenda | None:
    """The context's agenda as it stood at `as_of` (default: now), or None if none was set."""
    query = select(OrgAgendaRecord).where(
        OrgAgendaRecord.tenant_id == tenant_id,
        OrgAgendaRecord.context_id == context_id,
        OrgAgendaRecord.role_label == role_label,
    )
    if as_of is not None:
        query = query.where(OrgAgendaRecord.created_at < as_of)
    record = uow.session.scalar(query.order_by(OrgAgendaRecord.version.desc()).limit(1))
    return _org(uow, record) if record else None


def org_agendas_as_of(
    uow: UnitOfWork, tenant_id: int, context_id: int, as_of: datetime, catalogue_version: int | None = None
) -> dict[str, OrgAgenda]:
    """Every agenda of the context as it stood at `as_of`, by role label ("" for the context-wide one).

    An agenda version's needs and mandatory items change only when skills are merged, which changes the
    tenant's catalogue version: given the version the caller read, they are kept in the memo under it, and
    only the versions current at `as_of` are read (one query instead of three).
    """
    records = list(
        uow.session.execute(_org_agendas_query(), {"tenant_id": tenant_id, "context_id": context_id, "as_of": as_of})
    )
    if not records:
        return {}
    ids = tuple(sorted(r.id for r in records))
    if uow.memo is None or catalogue_version is None:
        items = _agenda_items(uow, ids)
    else:
        items = uow.memo.get(("org agenda items", tenant_id, catalogue_version, ids), lambda: _agenda_items(uow, ids))
    return {
        r.role_label: OrgAgenda(
            context_id=r.context_id,
            role_label=r.role_label,
            version=r.version,
            created_at=r.created_at,
            needs=items[r.id][0],
            mandatory=items[r.id][1],
            author_id=r.author_id,
        )
        for r in records
    }


@cache
def _org_agendas_query() -> Any:
    """The versions of the context's agendas current at `as_of`, one per role label."""
    a = OrgAgendaRecord
    where = (a.tenant_id == bindparam("tenant_id"), a.context_id == bindparam("context_id"))
    latest = (
        select(a.role_label, func.max(a.version).label("version"))
        .where(*where, a.created_at < bindparam("as_of"))
        .group_by(a.role_label)
        .subquery()
    )
    return (
        select(a.id, a.context_id, a.role_label, a.version, a.created_at, a.author_id)
        .join(latest, (latest.c.role_label == a.role_label) & (latest.c.version == a.version))
        .where(*where)
    )


def _agenda_items(uow: UnitOfWork, ids: Sequence[int]) -> dict[int, tuple[dict[int, OrgNeed], dict[int, date]]]:
    """The needs and mandatory items of these org agenda versions, in one query."""
    found: dict[int, tuple[dict[int, OrgNeed], dict[int, date]]] = {agenda: ({}, {}) for agenda in ids}
    for agenda, item, need, why, due in uow.session.execute(_agenda_items_query(dialect_of(uow)), {"ids": list(ids)}):
        if need is not None:
            found[agenda][0][item] = OrgNeed(Need(need), why)
        else:
            found[agenda][1][item] = due
    return found


@cache
def _agenda_items_query(dialect: str) -> Any:
    """The needs (skill, need, why) and then the mandatory items (opportunity, due date) of the agendas `ids`."""
    n, m = OrgNeedRecord, MandatoryItemRecord
    needs = select(n.agenda_id, n.skill_id, n.need, n.why, cast(null(), Date)).where(
        among_param(dialect, n.agenda_id, "ids")
    )
    mandatory = select(m.agenda_id, m.opportunity_id, cast(null(), Integer), cast(null(), Text), m.due_on).where(
        among_param(dialect, m.agenda_id, "ids")
    )
    return needs.union_all(mandatory)


def role_labels(uow: UnitOfWork, tenant_id: int, context_id: int) -> list[str]:
    """The role labels that matter in the context: those with an agenda there and those its learners hold."""
    a = OrgAgendaRecord
    with_agenda = select(a.role_label).where(a.tenant_id == tenant_id, a.context_id == context_id, a.role_label != "")
    held = (
        select(PersonRecord.role_label)
        .join(MembershipRecord, MembershipRecord.person_id == PersonRecord.id)
        .where(
            PersonRecord.tenant_id == tenant_id,
            MembershipRecord.context_id == context_id,
            MembershipRecord.role == Role.LEARNER.value,
            MembershipRecord.active.is_(True),
            PersonRecord.role_label.is_not(None),
        )
    )
    return sorted(set(uow.session.scalars(with_agenda.union(held))), key=str.casefold)


def agenda_for_role(context_wide: OrgAgenda | None, for_role: OrgAgenda | None) -> OrgAgenda | None:
    """The agenda that applies to a learner with a role label: the role's agenda over the context-wide one.

    The role's need (and why) for a skill replaces the context's; skills only the context names keep its
    need. Mandatory items of both apply — the context's are for everyone in it — and the role's due date
    wins where both name an item.
    """
    if for_role is None or context_wide is None:
        return for_role or context_wide
    return OrgAgenda(
        context_id=for_role.context_id,
        role_label=for_role.role_label,
        version=for_role.version,
        created_at=max(for_role.created_at, context_wide.created_at),
        needs={**context_wide.needs, **for_role.needs},
        mandatory={**context_wide.mandatory, **for_role.mandatory},
        author_id=for_role.author_id,
    )


def org_agenda_versions(uow: UnitOfWork, tenant_id: int, context_id: int) -> int:
    """How many versions the context's agendas have, all role labels together."""
    return (
        uow.session.scalar(
            select(func.count()).where(OrgAgendaRecord.tenant_id == tenant_id, OrgAgendaRecord.context_id == context_id)
        )
        or 0
    )


def _org(uow: UnitOfWork, record: OrgAgendaRecord) -> OrgAgenda:
    needs = uow.session.scalars(select(OrgNeedRecord).where(OrgNeedRecord.agenda_id == record.id))
    mandatory = uow.session.scalars(select(MandatoryItemRecord).where(MandatoryItemRecord.agenda_id == record.id))
    return OrgAgenda(
        context_id=record.context_id,
        role_label=record.role_label,
        version=record.version,
        created_at=record.created_at,
        needs={n.skill_id: OrgNeed(Need(n.need), n.why) for n in needs},
        mandatory={m.opportunity_id: m.due_on for m in mandatory},
        author_id=record.author_id,
    )


def _check_mandatory(uow: UnitOfWork, tenant_id: int, mandatory: Mapping[int, date]) -> None:
    if not mandatory:
        return
    found = dict(
        uow.session.execute(
            select(OpportunityRecord.id, OpportunityRecord.status).where(
                OpportunityRecord.tenant_id == tenant_id, OpportunityRecord.id.in_(list(mandatory))
            )
        ).all()
    )
    missing = sorted(set(mandatory) - found.keys())
    if missing:
        raise InvalidInput(sentences.REFUSED_MANDATORY_UNKNOWN(ids=sentences.ids(missing)))
    inactive = sorted(o for o, status in found.items() if status != ACTIVE)
    if inactive:
        raise InvalidInput(sentences.REFUSED_MANDATORY_INACTIVE(ids=sentences.ids(inactive)))


def _level(kind: type[Level], skill_id: int, value: int) -> Level:
    try:
        return kind(value)
    except ValueError:
        refused = sentences.REFUSED_INTEREST if kind is Interest else sentences.REFUSED_NEED
        raise InvalidInput(refused(skill=str(skill_id), got=repr(value))) from None


def _person(uow: UnitOfWork, tenant_id: int, person_id: int) -> None:
    record = uow.session.get(PersonRecord, person_id)
    if record is None or record.tenant_id != tenant_id:
        raise NotFound(sentences.NOT_FOUND_PERSON(id=str(person_id)))


def _context(uow: UnitOfWork, tenant_id: int, context_id: int) -> None:
    record = uow.session.get(ContextRecord, context_id)
    if record is None or record.tenant_id != tenant_id:
        raise NotFound(sentences.NOT_FOUND_CONTEXT(id=str(context_id)))
