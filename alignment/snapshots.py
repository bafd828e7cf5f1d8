"""Everything about one context at one moment, loaded in a fixed number of queries, and what follows from it.

Roadmap planning, stall sweeps, momentum and back-tests all read a `ContextSnapshot` as of a moment:
agenda versions, roadmap versions and events from before it, never after. The functions that turn a
snapshot into a learner's alignments, plan and situation are pure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
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
from alignment.catalogue import SkillRecord
from alignment.database import UnitOfWork
from alignment.events import events_by_person
from alignment.messages import Message
from alignment.opportunities import ACTIVE, Opportunity, list_opportunities
from alignment.people import Context, Member, Role, get_context, roster
from alignment.policies import Policy, get_policy
from alignment.roadmaps import RoadmapVersion, Trigger, roadmap_versions_by_person
from alignment.rules.planning import Candidate, Plan, check_no_prerequisite_cycle, plan_roadmap
from alignment.rules.progress import (
    ItemProgress,
    LearningEvent,
    MatcherIndex,
    MatchKind,
    effective_events,
    progress_by_opportunity,
)
from alignment.rules.quadrants import Alignment, Interest, align
from alignment.rules.stalls import Activity, Situation, Step


@dataclass(frozen=True)
class ContextSnapshot:
    """One context as it stood at `as_of`."""

    tenant_id: int
    context: Context
    as_of: datetime
    policy: Policy
    org_agenda: OrgAgenda | None
    opportunities: tuple[Opportunity, ...]
    skill_names: Mapping[int, str]
    members: tuple[Member, ...]
    agendas: Mapping[int, PersonalAgenda]
    events: Mapping[int, Sequence[LearningEvent]]
    roadmaps: Mapping[int, Sequence[RoadmapVersion]]

    @cached_property
    def index(self) -> MatcherIndex:
        """Finds the opportunities a learning event belongs to (built once per snapshot)."""
        return MatcherIndex([o.matcher for o in self.opportunities])

    @cached_property
    def _alignments(self) -> dict[tuple[int, int] | None, dict[int, Alignment]]:
        return {}

    @cached_property
    def _by_skill(self) -> dict[int, list[int]]:
        """The opportunities that build each skill (with a positive weight)."""
        found: dict[int, list[int]] = defaultdict(list)
        for o in self.opportunities:
            for skill, weight in o.skills.items():
                if weight > 0:
                    found[skill].append(o.id)
        return found

    @cached_property
    def _prerequisites_checked(self) -> bool:
        """True once the catalogue's prerequisites are known to form no cycle (raises PrerequisiteCycle if not)."""
        check_no_prerequisite_cycle({o.id: o.prerequisites for o in self.opportunities})
        return True

    @cached_property
    def _shared_candidates(self) -> dict[int, Candidate]:
        """Each opportunity as the planner sees it for a learner who wants none of its skills and has not
        touched it: the same for everyone in the context, so built once."""
        alignments = learner_alignments(self, None)
        return {o.id: _candidate(self, o, alignments[o.id], None) for o in self.opportunities}

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
    policy: Policy | None = None,
) -> ContextSnapshot:
    """Load the context's learners (all, or `person_ids`) and everything their roadmaps depend on.

    `policy` stands in for the tenant's stored policy (to see what another policy would do).
    """
    context = get_context(uow, tenant_id, context_id)
    members = tuple(m for m in roster(uow, context, Role.LEARNER, person_ids) if m.joined_at < as_of)
    ids = [m.person.id for m in members]
    return ContextSnapshot(
        tenant_id=tenant_id,
        context=context,
        as_of=as_of,
        policy=policy if policy is not None else get_policy(uow, tenant_id),
        org_agenda=current_org_agenda(uow, tenant_id, context_id, as_of=as_of),
        opportunities=tuple(list_opportunities(uow, tenant_id, (ACTIVE,))),
        skill_names={
            skill_id: name
            for skill_id, name in uow.session.execute(
                select(SkillRecord.id, SkillRecord.name).where(SkillRecord.tenant_id == tenant_id)
            )
        },
        members=members,
        agendas=_personal_agendas_as_of(uow, tenant_id, ids, as_of),
        events=events_by_person(uow, tenant_id, ids, until=as_of),
        roadmaps=roadmap_versions_by_person(uow, tenant_id, context_id, ids, until=as_of),
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
        needs = snapshot.org_agenda.needs if snapshot.org_agenda else {}
        thresholds = snapshot.policy.thresholds
        if agenda is None:
            names = snapshot.skill_names
            cached = {o.id: align(o.skills, names, {}, needs, thresholds) for o in snapshot.opportunities}
        else:
            cached = dict(learner_alignments(snapshot, None))
            wanted = {o for skill, level in agenda.interests.items() if level > 0 for o in snapshot._by_skill[skill]}
            for o in snapshot.opportunities:
                if o.id in wanted:
                    cached[o.id] = align(o.skills, snapshot.skill_names, agenda.interests, needs, thresholds)
        snapshot._alignments[key] = cached
    return cached


def learner_progress(snapshot: ContextSnapshot, person_id: int) -> dict[int, ItemProgress]:
    """The learner's progress on each opportunity their events touch, as of the snapshot (computed once)."""
    if person_id not in snapshot._progress:
        snapshot._progress[person_id] = progress_by_opportunity(snapshot.events.get(person_id, ()), snapshot.index)
    return snapshot._progress[person_id]


def learner_plan(snapshot: ContextSnapshot, person_id: int, today: date) -> Plan:
    """The roadmap the rules give the learner today, from the snapshot's agendas and progress."""
    alignments = learner_alignments(snapshot, person_id)
    shared_alignments = learner_alignments(snapshot, None)
    shared = snapshot._shared_candidates
    progress = learner_progress(snapshot, person_id)
    agenda = snapshot.agendas.get(person_id)
    candidates = [
        shared[o.id]
        if alignments[o.id] is shared_alignments[o.id] and o.id not in progress
        else _candidate(snapshot, o, alignments[o.id], progress.get(o.id))
        for o in snapshot.opportunities
    ]
    return plan_roadmap(
        candidates,
        today=today,
        weekly_hours=agenda.weekly_hours if agenda else DEFAULT_WEEKLY_HOURS,
        gift_budget_hours_per_quarter=snapshot.policy.gift_budget_hours_per_quarter,
        prerequisites_checked=snapshot._prerequisites_checked,
    )


def replanned(snapshot: ContextSnapshot, trigger: Trigger, reason: Message) -> ContextSnapshot:
    """The snapshot as it would be had every learner been re-planned at its moment (nothing is stored).

    A learner whose plan would not change keeps their versions, as `store_version` would.
    """
    roadmaps = dict(snapshot.roadmaps)
    for member in snapshot.members:
        person_id = member.person.id
        versions = tuple(snapshot.roadmaps.get(person_id, ()))
        plan = learner_plan(snapshot, person_id, snapshot.as_of.date())
        if versions and versions[-1].plan == plan:
            continue
        roadmaps[person_id] = (
            *versions,
            RoadmapVersion(
                person_id=person_id,
                context_id=snapshot.context.id,
                version=len(versions) + 1,
                created_at=snapshot.as_of,
                trigger=trigger if versions else Trigger.FIRST,
                reason=reason,
                changes=(),
                plan=plan,
            ),
        )
    return replace(snapshot, roadmaps=roadmaps)


def _candidate(
    snapshot: ContextSnapshot, opportunity: Opportunity, alignment: Alignment, progress: ItemProgress | None
) -> Candidate:
    mandatory = snapshot.org_agenda.mandatory if snapshot.org_agenda else {}
    return Candidate(
        opportunity_id=opportunity.id,
        title=opportunity.title,
        effort_hours=opportunity.effort_hours,
        quadrant=alignment.quadrant,
        personal_value=alignment.personal_value,
        org_value=alignment.org_value,
        explanation=alignment.explain(),
        org_why=alignment.org_whys[0] if alignment.org_whys else "",
        mandatory_due=mandatory.get(opportunity.id),
        prerequisites=opportunity.prerequisites,
        done_fraction=progress.done_fraction if progress is not None else 0.0,
        finished=progress is not None and progress.finished,
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
