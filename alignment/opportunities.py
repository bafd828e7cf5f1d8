"""Opportunities: the learning on offer, the skills it builds, and how learning events point at it.

An opportunity matches xAPI activity ids (exactly, or as the parent or grouping activity of a
statement) and LTI resource links. Activities seen in statements but not yet mapped are discovered
as opportunities held for skill tagging, so nothing learners do goes unnoticed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Select, String, Text, UniqueConstraint, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from alignment import sentences
from alignment.catalogue import ImportSummary, active_skills_by_id
from alignment.database import Base, UnitOfWork, utcnow
from alignment.errors import Conflict, InvalidInput, NotFound
from alignment.events import rematch
from alignment.frameworks import OPPORTUNITY_KINDS, OpportunityRow
from alignment.mappings import ActivityMappingRecord, LinkMappingRecord
from alignment.rules.planning import check_no_prerequisite_cycle
from alignment.rules.progress import Matcher
from alignment.tenancy import catalogue_changed

ACTIVE = "active"
DISCOVERED = "discovered"
RETIRED = "retired"
STATUSES = (ACTIVE, DISCOVERED, RETIRED)
MAX_EFFORT_HOURS = 1000.0
IRI = re.compile(r"^(https?://[^\s]+|urn:[^\s]+)$", re.IGNORECASE)


class OpportunityRecord(Base):
    """An opportunity as stored."""

    __tablename__ = "opportunities"
    __table_args__ = (UniqueConstraint("tenant_id", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))
    effort_hours: Mapped[float] = mapped_column(Float)
    url: Mapped[str | None] = mapped_column(String(1000))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class OpportunitySkillRecord(Base):
    """A skill an opportunity builds, with its weight in (0, 1]."""

    __tablename__ = "opportunity_skills"

    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunities.id", ondelete="CASCADE"), primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id"), primary_key=True)
    weight: Mapped[float] = mapped_column(Float)


class PrerequisiteRecord(Base):
    """An opportunity that must be finished before another."""

    __tablename__ = "opportunity_prerequisites"

    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunities.id", ondelete="CASCADE"), primary_key=True)
    prerequisite_id: Mapped[int] = mapped_column(ForeignKey("opportunities.id", ondelete="CASCADE"), primary_key=True)


@dataclass(frozen=True)
class OpportunityDraft:
    """What a manager or admin says about an opportunity, before it is checked."""

    title: str
    kind: str
    effort_hours: float
    skills: Mapping[int, float] = field(default_factory=dict)
    prerequisites: frozenset[int] = frozenset()
    activity_ids: frozenset[str] = frozenset()
    lti_resource_link_ids: frozenset[str] = frozenset()
    url: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Opportunity:
    """An opportunity with everything that describes it."""

    id: int
    title: str
    kind: str
    effort_hours: float
    status: str
    skills: Mapping[int, float]
    prerequisites: frozenset[int]
    activity_ids: frozenset[str]
    lti_resource_link_ids: frozenset[str]
    url: str | None
    description: str | None

    @property
    def matcher(self) -> Matcher:
        """How learning events find this opportunity."""
        return Matcher(self.id, self.activity_ids, self.lti_resource_link_ids)


def create_opportunity(
    uow: UnitOfWork, tenant_id: int, draft: OpportunityDraft, status: str = ACTIVE, rematch_now: bool = True
) -> Opportunity:
    """Add an opportunity after checking every field; nothing is stored if one is wrong.

    Learners with events on its activities or links have their tallies rebuilt (`rematch_now=False` leaves
    that to the caller); a discovered activity's are rebuilt when it is described and becomes active, since
    only active opportunities' tallies are read.
    """
    _check(uow, tenant_id, draft, opportunity_id=None)
    now = utcnow()
    record = OpportunityRecord(tenant_id=tenant_id, status=status, created_at=now, updated_at=now)
    activities, links = _apply(uow, tenant_id, record, draft)
    if rematch_now and status != DISCOVERED:
        rematch(uow, tenant_id, activities, links)
    return get_opportunity(uow, tenant_id, record.id)


def update_opportunity(
    uow: UnitOfWork, tenant_id: int, opportunity_id: int, draft: OpportunityDraft, rematch_now: bool = True
) -> Opportunity:
    """Replace what is said about an opportunity; a discovered one becomes active once described.

    Learners with events on activities or links it gains or loses have their tallies rebuilt (all of its
    activities and links when it becomes active); `rematch_now=False` leaves that to the caller.
    """
    record = _record(uow, tenant_id, opportunity_id)
    _check(uow, tenant_id, draft, opportunity_id=opportunity_id)
    activated = record.status == DISCOVERED
    if activated:
        record.status = ACTIVE
    record.updated_at = utcnow()
    activities, links = _apply(uow, tenant_id, record, draft)
    if activated:
        activities, links = activities | draft.activity_ids, links | draft.lti_resource_link_ids
    if rematch_now:
        rematch(uow, tenant_id, activities, links)
    return get_opportunity(uow, tenant_id, opportunity_id)


def retire_opportunity(uow: UnitOfWork, tenant_id: int, opportunity_id: int) -> Opportunity:
    """Take an opportunity off every future roadmap; its history stays."""
    record = _record(uow, tenant_id, opportunity_id)
    record.status = RETIRED
    record.updated_at = utcnow()
    uow.session.flush()
    catalogue_changed(uow, tenant_id)
    return get_opportunity(uow, tenant_id, opportunity_id)


def get_opportunity(uow: UnitOfWork, tenant_id: int, opportunity_id: int) -> Opportunity:
    """The opportunity with this id in the tenant, or NotFound."""
    _record(uow, tenant_id, opportunity_id)
    return _load(uow, tenant_id, [opportunity_id])[0]


def list_opportunities(uow: UnitOfWork, tenant_id: int, statuses: Iterable[str] = (ACTIVE,)) -> list[Opportunity]:
    """The tenant's opportunities in these statuses, by title."""
    return _load(
        uow,
        tenant_id,
        select(OpportunityRecord.id).where(
            OpportunityRecord.tenant_id == tenant_id, OpportunityRecord.status.in_(list(statuses))
        ),
    )


def discover_activity(uow: UnitOfWork, tenant_id: int, activity_id: str, name: str | None) -> Opportunity | None:
    """Hold an activity seen in statements for tagging, unless some opportunity already maps it."""
    if not IRI.match(activity_id):
        return None
    mapped = uow.session.scalar(
        select(ActivityMappingRecord.opportunity_id).where(
            ActivityMappingRecord.tenant_id == tenant_id, ActivityMappingRecord.activity_id == activity_id
        )
    )
    if mapped is not None:
        return None
    title = _unique_title(uow, tenant_id, " ".join((name or "").split())[:280] or activity_id[:280])
    draft = OpportunityDraft(title=title, kind="module", effort_hours=1.0, activity_ids=frozenset({activity_id}))
    return create_opportunity(uow, tenant_id, draft, status=DISCOVERED)


def import_opportunities(
    uow: UnitOfWork, tenant_id: int, rows: list[OpportunityRow], skill_ids_by_name: Mapping[str, int]
) -> ImportSummary:
    """Create or update opportunities from imported rows, matched by title; the caller commits all or none."""
    skills_by_name = {name.casefold(): skill_id for name, skill_id in skill_ids_by_name.items()}
    seen: dict[str, int] = {}
    for row in rows:
        if row.title in seen:
            raise InvalidInput(sentences.FILE_SAME_TITLE(where=row.line, title=repr(row.title), first=seen[row.title]))
        seen[row.title] = row.line
    before = {o.title: o for o in list_opportunities(uow, tenant_id, STATUSES)}
    by_title = dict(before)
    drafts = [(row, _draft(row, skills_by_name)) for row in rows]
    created = updated = unchanged = 0
    remapped: set[str] = set()
    relinked: set[str] = set()
    # Create first, so prerequisites may name any opportunity of the file, in any order.
    for row, draft in drafts:
        if row.title not in by_title:
            by_title[row.title] = create_opportunity(uow, tenant_id, draft, rematch_now=False)
            remapped |= draft.activity_ids
            relinked |= draft.lti_resource_link_ids
            created += 1
    for row, draft in drafts:
        missing = [title for title in row.prerequisites if title not in by_title]
        if missing:
            raise InvalidInput(sentences.FILE_PREREQUISITES_UNKNOWN(where=row.line, titles=", ".join(missing)))
        full = replace(draft, prerequisites=frozenset(by_title[t].id for t in row.prerequisites))
        previous = before.get(row.title)
        if previous is not None and _describes(previous, full):
            unchanged += 1
            continue
        if previous is not None:
            updated += 1
            remapped |= full.activity_ids ^ previous.activity_ids
            relinked |= full.lti_resource_link_ids ^ previous.lti_resource_link_ids
            if previous.status == DISCOVERED:
                remapped |= full.activity_ids
                relinked |= full.lti_resource_link_ids
        elif not full.prerequisites:
            continue
        update_opportunity(uow, tenant_id, by_title[row.title].id, full, rematch_now=False)
    # One pass over the events for the whole file, not one per opportunity.
    rematch(uow, tenant_id, remapped, relinked)
    return ImportSummary(created, updated, unchanged)


def _draft(row: OpportunityRow, skills_by_name: Mapping[str, int]) -> OpportunityDraft:
    skills: dict[int, float] = {}
    for name, weight in row.skills:
        if name.casefold() not in skills_by_name:
            raise InvalidInput(sentences.FILE_SKILL_UNKNOWN(where=row.line, skill=repr(name)))
        skills[skills_by_name[name.casefold()]] = weight
    return OpportunityDraft(
        title=row.title,
        kind=row.kind,
        effort_hours=row.effort_hours,
        skills=skills,
        activity_ids=frozenset(row.activity_ids),
        lti_resource_link_ids=frozenset(row.lti_resource_link_ids),
        url=row.url,
    )


def _describes(opportunity: Opportunity, draft: OpportunityDraft) -> bool:
    return (
        opportunity.status == ACTIVE
        and opportunity.title == draft.title
        and opportunity.kind == draft.kind
        and opportunity.effort_hours == draft.effort_hours
        and dict(opportunity.skills) == dict(draft.skills)
        and opportunity.prerequisites == draft.prerequisites
        and opportunity.activity_ids == draft.activity_ids
        and opportunity.lti_resource_link_ids == draft.lti_resource_link_ids
        and opportunity.url == draft.url
    )


def _record(uow: UnitOfWork, tenant_id: int, opportunity_id: int) -> OpportunityRecord:
    record = uow.session.get(OpportunityRecord, opportunity_id)
    if record is None or record.tenant_id != tenant_id:
        raise NotFound(sentences.NOT_FOUND_OPPORTUNITY(id=str(opportunity_id)))
    return record


def _check(uow: UnitOfWork, tenant_id: int, draft: OpportunityDraft, opportunity_id: int | None) -> None:
    title = " ".join(draft.title.split())
    if not title or len(title) > 300:
        raise InvalidInput(sentences.REFUSED_TITLE(most=300))
    if draft.kind not in OPPORTUNITY_KINDS:
        raise InvalidInput(sentences.REFUSED_KIND(kinds=", ".join(OPPORTUNITY_KINDS), got=draft.kind))
    if not 0 < draft.effort_hours <= MAX_EFFORT_HOURS:
        raise InvalidInput(sentences.REFUSED_EFFORT(most=MAX_EFFORT_HOURS, got=draft.effort_hours))
    for skill_id, weight in draft.skills.items():
        if not 0 < weight <= 1:
            raise InvalidInput(sentences.REFUSED_WEIGHT(skill=str(skill_id), got=weight))
    active_skills_by_id(uow, tenant_id, draft.skills)
    for activity in draft.activity_ids:
        if len(activity) > 1000 or not IRI.match(activity):
            raise InvalidInput(sentences.REFUSED_ACTIVITY_ID(value=activity))
    for link in draft.lti_resource_link_ids:
        if not link.strip() or len(link) > 255:
            raise InvalidInput(sentences.REFUSED_LINK_ID(most=255))
    if draft.url is not None and not re.match(r"^https?://\S+$", draft.url):
        raise InvalidInput(sentences.REFUSED_URL(got=draft.url))
    clash = uow.session.scalar(
        select(OpportunityRecord.id).where(OpportunityRecord.tenant_id == tenant_id, OpportunityRecord.title == title)
    )
    if clash is not None and clash != opportunity_id:
        raise Conflict(sentences.REFUSED_TITLE_CLASH(title=title, opportunity=str(clash)))
    mappings = (
        (
            ActivityMappingRecord.activity_id,
            ActivityMappingRecord,
            draft.activity_ids,
            sentences.REFUSED_ACTIVITY_TAKEN,
        ),
        (
            LinkMappingRecord.resource_link_id,
            LinkMappingRecord,
            draft.lti_resource_link_ids,
            sentences.REFUSED_LINK_TAKEN,
        ),
    )
    for key, table, values, taken in mappings:
        owners = uow.session.execute(
            select(key, table.opportunity_id).where(table.tenant_id == tenant_id, key.in_(list(values)))
        )
        for value, owner in owners:
            if owner != opportunity_id:
                raise Conflict(taken(value=value, opportunity=str(owner)))
    _check_prerequisites(uow, tenant_id, draft.prerequisites, opportunity_id)


def _check_prerequisites(
    uow: UnitOfWork, tenant_id: int, prerequisites: frozenset[int], opportunity_id: int | None
) -> None:
    if opportunity_id is not None and opportunity_id in prerequisites:
        raise InvalidInput(sentences.REFUSED_OWN_PREREQUISITE())
    known = set(
        uow.session.scalars(
            select(OpportunityRecord.id).where(
                OpportunityRecord.tenant_id == tenant_id, OpportunityRecord.id.in_(list(prerequisites))
            )
        )
    )
    missing = sorted(prerequisites - known)
    if missing:
        raise InvalidInput(sentences.REFUSED_PREREQUISITES_UNKNOWN(ids=sentences.ids(missing)))
    if opportunity_id is None or not prerequisites:
        return
    graph: dict[int, frozenset[int]] = defaultdict(frozenset)
    rows = uow.session.execute(
        select(PrerequisiteRecord.opportunity_id, PrerequisiteRecord.prerequisite_id)
        .join(OpportunityRecord, OpportunityRecord.id == PrerequisiteRecord.opportunity_id)
        .where(OpportunityRecord.tenant_id == tenant_id)
    )
    for dependent, needed in rows:
        graph[dependent] = graph[dependent] | {needed}
    graph[opportunity_id] = prerequisites
    check_no_prerequisite_cycle(dict(graph))


def _apply(
    uow: UnitOfWork, tenant_id: int, record: OpportunityRecord, draft: OpportunityDraft
) -> tuple[frozenset[str], frozenset[str]]:
    """Store the draft; return the activity ids and the LTI links the opportunity gained or lost."""
    before_activities: frozenset[str] = frozenset()
    before_links: frozenset[str] = frozenset()
    if record.id is not None:
        before_activities = frozenset(
            uow.session.scalars(
                select(ActivityMappingRecord.activity_id).where(ActivityMappingRecord.opportunity_id == record.id)
            )
        )
        before_links = frozenset(
            uow.session.scalars(
                select(LinkMappingRecord.resource_link_id).where(LinkMappingRecord.opportunity_id == record.id)
            )
        )
    record.title = " ".join(draft.title.split())
    record.kind = draft.kind
    record.effort_hours = draft.effort_hours
    record.url = draft.url
    record.description = draft.description
    uow.session.add(record)
    uow.session.flush()
    for table in (OpportunitySkillRecord, PrerequisiteRecord, ActivityMappingRecord, LinkMappingRecord):
        uow.session.execute(delete(table).where(table.opportunity_id == record.id))
    uow.session.add_all(
        [OpportunitySkillRecord(opportunity_id=record.id, skill_id=s, weight=w) for s, w in draft.skills.items()]
        + [PrerequisiteRecord(opportunity_id=record.id, prerequisite_id=p) for p in draft.prerequisites]
        + [
            ActivityMappingRecord(tenant_id=tenant_id, activity_id=a, opportunity_id=record.id)
            for a in sorted(draft.activity_ids)
        ]
        + [
            LinkMappingRecord(tenant_id=tenant_id, resource_link_id=link, opportunity_id=record.id)
            for link in sorted(draft.lti_resource_link_ids)
        ]
    )
    uow.session.flush()
    catalogue_changed(uow, tenant_id)
    return draft.activity_ids ^ before_activities, draft.lti_resource_link_ids ^ before_links


def _load(uow: UnitOfWork, tenant_id: int, chosen: list[int] | Select[Any]) -> list[Opportunity]:
    """Opportunities with all their parts, in five queries whatever their number: those of the ids in
    `chosen` in its order, or those its query selects by title.

    The parts are read as plain columns and selected by the query rather than a list of ids: a catalogue
    of thousands is read for every snapshot.
    """
    if isinstance(chosen, list) and not chosen:
        return []
    o = OpportunityRecord
    rows = list(
        uow.session.execute(
            select(o.id, o.title, o.kind, o.effort_hours, o.status, o.url, o.description)
            .where(o.tenant_id == tenant_id, o.id.in_(chosen))
            .order_by(o.title)
        )
    )
    if isinstance(chosen, list):
        position = {i: n for n, i in enumerate(chosen)}
        rows.sort(key=lambda row: position[row.id])
    skills: dict[int, dict[int, float]] = defaultdict(dict)
    for owner, skill, weight in uow.session.execute(
        select(
            OpportunitySkillRecord.opportunity_id, OpportunitySkillRecord.skill_id, OpportunitySkillRecord.weight
        ).where(OpportunitySkillRecord.opportunity_id.in_(chosen))
    ):
        skills[owner][skill] = weight
    prerequisites: dict[int, set[int]] = defaultdict(set)
    for dependent, needed in uow.session.execute(
        select(PrerequisiteRecord.opportunity_id, PrerequisiteRecord.prerequisite_id).where(
            PrerequisiteRecord.opportunity_id.in_(chosen)
        )
    ):
        prerequisites[dependent].add(needed)
    activities: dict[int, set[str]] = defaultdict(set)
    for owner, activity in uow.session.execute(
        select(ActivityMappingRecord.opportunity_id, ActivityMappingRecord.activity_id).where(
            ActivityMappingRecord.opportunity_id.in_(chosen)
        )
    ):
        activities[owner].add(activity)
    links: dict[int, set[str]] = defaultdict(set)
    for owner, link in uow.session.execute(
        select(LinkMappingRecord.opportunity_id, LinkMappingRecord.resource_link_id).where(
            LinkMappingRecord.opportunity_id.in_(chosen)
        )
    ):
        links[owner].add(link)
    return [
        Opportunity(
            id=i,
            title=title,
            kind=kind,
            effort_hours=effort,
            status=status,
            skills=skills[i],
            prerequisites=frozenset(prerequisites.get(i, ())),
            activity_ids=frozenset(activities.get(i, ())),
            lti_resource_link_ids=frozenset(links.get(i, ())),
            url=url,
            description=description,
        )
        for i, title, kind, effort, status, url, description in rows
    ]


def _unique_title(uow: UnitOfWork, tenant_id: int, title: str) -> str:
    candidate, n = title, 1
    while uow.session.scalar(
        select(OpportunityRecord.id).where(
            OpportunityRecord.tenant_id == tenant_id, OpportunityRecord.title == candidate
        )
    ):
        n += 1
        candidate = f"{title} ({n})"
    return candidate
