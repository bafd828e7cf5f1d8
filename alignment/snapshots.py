"""Everything about one context at one moment, loaded in a fixed number of queries, and what follows from it.

Roadmap planning, stall sweeps, momentum and back-tests all read a `ContextSnapshot` as of a moment:
agenda versions, roadmap versions and events from before it, never after. The functions that turn a
snapshot into a learner's alignments, plan and situation are pure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property

from sqlalchemy import func, select

from alignment.agendas import (
    DEFAULT_WEEKLY_HOURS,
    OrgAgenda,
    PersonalAgenda,
    PersonalAgendaRecord,
    PersonalInterestRecord,
    current_org_agenda,
)
from alignment.candidates import Catalogue, OrgView
from alignment.catalogue import SkillRecord
from alignment.database import UnitOfWork
from alignment.events import events_by_person
from alignment.opportunities import ACTIVE, Opportunity, list_opportunities
from alignment.people import Context, Member, Role, get_context, roster
from alignment.policies import Policy, get_policy
from alignment.roadmaps import RoadmapVersion, roadmap_versions_by_person
from alignment.rules.planning import Plan, plan_roadmap
from alignment.rules.progress import (
    ItemProgress,
    LearningEvent,
    MatcherIndex,
    MatchKind,
    effective_events,
    progress_by_opportunity,
)
from alignment.rules.quadrants import Alignment, Interest
from alignment.rules.stalls import Activity, Situation, Step


@dataclass(frozen=True)
class ContextSnapshot:
    """One context as it stood at `as_of`."""

    tenant_id: int
    context: Context
    as_of: datetime
    policy: Policy
    org_agenda: OrgAgenda | None
    catalogue: Catalogue
    members: tuple[Member, ...]
    agendas: Mapping[int, PersonalAgenda]
    events: Mapping[int, Sequence[LearningEvent]]
    roadmaps: Mapping[int, Sequence[RoadmapVersion]]

    @property
    def opportunities(self) -> tuple[Opportunity, ...]:
        """The tenant's active opportunities."""
        return self.catalogue.opportunities

    @property
    def index(self) -> MatcherIndex:
        """Finds the opportunities a learning event belongs to."""
        return self.catalogue.index

    @cached_property
    def org_view(self) -> OrgView:
        """The catalogue as the context's org agenda places it (worked out once per snapshot)."""
        agenda = self.org_agenda
        return OrgView(
            self.catalogue,
            agenda.needs if agenda else {},
            agenda.mandatory if agenda else {},
            self.policy.thresholds,
        )

    @cached_property
    def _alignments(self) -> dict[tuple[int, int] | None, dict[int, Alignment]]:
        return {}

    @cached_property
    def _progress(self) -> dict[int, dict[int, ItemProgress]]:
        return {}

    def member(self, person_id: int) -> Member:
        """The learner on this context's roster."""
        return next(m for m in self.members if m.person.id == person_id)


def load_snapshot(
    uow: UnitOfWork,
    tenant_id: int,
    context_id: int,
    as_of: datetime,
    person_ids: Sequence[int] | None = None,
    catalogue: Catalogue | None = None,
) -> ContextSnapshot:
    """Load the context's learners (all, or `person_ids`) and everything their roadmaps depend on.

    A `catalogue` loaded once serves every context of a tenant-wide pass.
    """
    context = get_context(uow, tenant_id, context_id)
    members = tuple(m for m in roster(uow, context, Role.LEARNER, person_ids) if m.joined_at < as_of)
    ids = [m.person.id for m in members]
    return ContextSnapshot(
        tenant_id=tenant_id,
        context=context,
        as_of=as_of,
        policy=get_policy(uow, tenant_id),
        org_agenda=current_org_agenda(uow, tenant_id, context_id, as_of=as_of),
        catalogue=catalogue if catalogue is not None else load_catalogue(uow, tenant_id),
        members=members,
        agendas=_personal_agendas_as_of(uow, tenant_id, ids, as_of),
        events=events_by_person(uow, tenant_id, ids, until=as_of),
        roadmaps=roadmap_versions_by_person(uow, tenant_id, context_id, ids, until=as_of),
    )


def load_catalogue(uow: UnitOfWork, tenant_id: int) -> Catalogue:
    """The tenant's active opportunities and skill names."""
    return Catalogue(
        opportunities=tuple(list_opportunities(uow, tenant_id, (ACTIVE,))),
        skill_names={
            skill_id: name
            for skill_id, name in uow.session.execute(
                select(SkillRecord.id, SkillRecord.name).where(SkillRecord.tenant_id == tenant_id)
            )
        },
    )


def _personal_agendas_as_of(
    uow: UnitOfWork, tenant_id: int, person_ids: list[int], as_of: datetime
) -> dict[int, PersonalAgenda]:
    if not person_ids:
        return {}
    latest = (
        select(PersonalAgendaRecord.person_id, func.max(PersonalAgendaRecord.version).label("version"))
        .where(
            PersonalAgendaRecord.tenant_id == tenant_id,
            PersonalAgendaRecord.person_id.in_(person_ids),
            PersonalAgendaRecord.created_at < as_of,
        )
        .group_by(PersonalAgendaRecord.person_id)
        .subquery()
    )
    records = list(
        uow.session.scalars(
            select(PersonalAgendaRecord).join(
                latest,
                (latest.c.person_id == PersonalAgendaRecord.person_id)
                & (latest.c.version == PersonalAgendaRecord.version),
            )
        )
    )
    interests: dict[int, dict[int, Interest]] = defaultdict(dict)
    for row in uow.session.scalars(
        select(PersonalInterestRecord).where(PersonalInterestRecord.agenda_id.in_([r.id for r in records]))
    ):
        interests[row.agenda_id][row.skill_id] = Interest(row.interest)
    return {
        r.person_id: PersonalAgenda(
            person_id=r.person_id,
            version=r.version,
            created_at=r.created_at,
            interests=interests[r.id],
            aspirations=r.aspirations,
            weekly_hours=r.weekly_hours,
            target_role=r.target_role,
        )
        for r in records
    }


# --- what follows from a snapshot (pure) ----------------------------------------------------------------


def learner_alignments(snapshot: ContextSnapshot, person_id: int | None) -> dict[int, Alignment]:
    """Where every active opportunity falls for the learner (learners without an agenda share one result).

    An opportunity building none of the skills the learner wants falls where it falls for someone with
    no agenda, so only the opportunities that build a wanted skill are aligned again per learner.
    """
    agenda = snapshot.agendas.get(person_id) if person_id is not None else None
    key = (agenda.person_id, agenda.version) if agenda else None
    cached = snapshot._alignments.get(key)
    if cached is None:
        view = snapshot.org_view
        if agenda is None:
            cached = {o.id: view.alignment(o) for o in snapshot.opportunities}
        else:
            cached = dict(learner_alignments(snapshot, None))
            shares = snapshot.catalogue.shares
            by_id = snapshot.catalogue.by_id
            wanted = {o for skill, level in agenda.interests.items() if level > 0 for o, _ in shares.get(skill, ())}
            for o in wanted:
                cached[o] = view.learner_alignment(by_id[o], agenda.interests)
        snapshot._alignments[key] = cached
    return cached


def learner_progress(snapshot: ContextSnapshot, person_id: int) -> dict[int, ItemProgress]:
    """The learner's progress on each opportunity their events touch, as of the snapshot (computed once)."""
    if person_id not in snapshot._progress:
        snapshot._progress[person_id] = progress_by_opportunity(snapshot.events.get(person_id, ()), snapshot.index)
    return snapshot._progress[person_id]


def learner_plan(snapshot: ContextSnapshot, person_id: int, today: date) -> Plan:
    """The roadmap the rules give the learner today, from the snapshot's agendas and progress."""
    agenda = snapshot.agendas.get(person_id)
    candidates = snapshot.org_view.learner_candidates(
        agenda.interests if agenda else {}, learner_progress(snapshot, person_id)
    )
    return plan_roadmap(
        candidates,
        today=today,
        weekly_hours=agenda.weekly_hours if agenda else DEFAULT_WEEKLY_HOURS,
        gift_budget_hours_per_quarter=snapshot.policy.gift_budget_hours_per_quarter,
        prerequisites_checked=snapshot.catalogue.prerequisites_checked,
    )


def learner_situation(snapshot: ContextSnapshot, person_id: int) -> Situation:
    """What the stall rules and momentum need to know about the learner at the snapshot's moment."""
    member = snapshot.member(person_id)
    alignments = learner_alignments(snapshot, person_id)
    index = snapshot.index
    events = effective_events(snapshot.events.get(person_id, ()), snapshot.as_of)
    activity = []
    for event in events:
        matches = index.matches(event)
        opportunity = min(matches, key=lambda o: (matches[o] is not MatchKind.EXACT, o), default=None)
        quadrant = alignments[opportunity].quadrant if opportunity in alignments else None
        activity.append(Activity(event.occurred_at, opportunity, quadrant))
    progress = learner_progress(snapshot, person_id)
    versions = snapshot.roadmaps.get(person_id, ())
    current = versions[-1] if versions else None
    known_since = min(member.joined_at, versions[0].created_at) if versions else member.joined_at
    plan = current.plan if current else learner_plan(snapshot, person_id, known_since.date())
    steps = tuple(
        Step(
            opportunity_id=item.opportunity_id,
            title=item.title,
            quadrant=item.quadrant,
            planned_finish=item.finish,
            finished=item.opportunity_id in progress and progress[item.opportunity_id].finished,
            due=item.due,
            org_why=item.org_why,
        )
        for item in plan.items
    )
    baseline = next((v for v in reversed(versions) if v.rescoped), None)
    projected = learner_plan(snapshot, person_id, snapshot.as_of.date()).projected_finish if baseline else None
    return Situation(
        learner_name=member.person.name,
        known_since=known_since,
        activity=tuple(activity),
        steps=steps,
        role_started_on=member.person.role_started_on,
        baseline_start=baseline.plan.starts_on if baseline else None,
        baseline_finish=baseline.plan.projected_finish if baseline else None,
        projected_finish=projected,
    )
