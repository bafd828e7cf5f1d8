"""Everything about one context at one moment, loaded in a fixed number of queries, and what follows from it.

Roadmap planning, stall sweeps, momentum and back-tests all read a `ContextSnapshot` as of a moment:
agenda versions, roadmap versions and learning from before it, never after. Learning is read from the
learners' running tallies where those hold at that moment (for anyone whose latest event came before
it), and from the events otherwise (back-tests). The functions that turn a snapshot into a learner's
alignments, plan and situation are pure.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from functools import cache, cached_property
from typing import Any

from sqlalchemy import bindparam, func, select

from alignment.agendas import (
    DEFAULT_WEEKLY_HOURS,
    OrgAgenda,
    PersonalAgenda,
    PersonalAgendaRecord,
    PersonalInterestRecord,
    agenda_for_role,
    org_agendas_as_of,
)
from alignment.candidates import Catalogue, OrgView, OwnCandidates, interest_levels
from alignment.catalogue import SkillRecord
from alignment.database import Memo, UnitOfWork, among_param, dialect_of
from alignment.events import learning_as_of
from alignment.opportunities import ACTIVE, Opportunity, list_opportunities
from alignment.people import Context, Member, Role, get_context, roster
from alignment.policies import Policy, PolicyRecord, get_policy, stored_policy
from alignment.roadmaps import RoadmapState, RoadmapVersion, plan_text, roadmap_states, steps_text
from alignment.rules.planning import Candidate, Plan, plan_roadmap, projected_finish
from alignment.rules.progress import ItemProgress
from alignment.rules.quadrants import Alignment, Interest
from alignment.rules.stalls import ItemActivity, Situation, Step, lookback_days, overdue_steps
from alignment.tallies import Learning
from alignment.tenancy import TenantRecord, catalogue_version

NO_LEARNING = Learning({}, None, frozenset())


@dataclass(frozen=True)
class ContextSnapshot:
    """One context as it stood at `as_of`."""

    tenant_id: int
    context: Context
    as_of: datetime
    policy: Policy
    org_agenda: OrgAgenda | None
    """The context-wide org agenda."""
    catalogue: Catalogue
    members: tuple[Member, ...]
    agendas: Mapping[int, PersonalAgenda]
    learning: Mapping[int, Learning]
    roadmaps: Mapping[int, RoadmapState]
    role_agendas: Mapping[str, OrgAgenda] = field(default_factory=dict)
    """The context's agendas for role labels, by label."""
    memo: Memo | None = None

    @property
    def opportunities(self) -> tuple[Opportunity, ...]:
        """The tenant's active opportunities."""
        return self.catalogue.opportunities

    @cached_property
    def org_view(self) -> OrgView:
        """The catalogue as the context-wide org agenda places it (for learners without a role agenda)."""
        return self._view("")

    def view_for(self, person_id: int | None) -> OrgView:
        """The catalogue as the org agenda for this learner places it: their role label's agenda over the
        context-wide one, or the context-wide one alone (`agendas.agenda_for_role`)."""
        if person_id is None:
            return self.org_view
        label = self._members[person_id].person.role_label if person_id in self._members else None
        return self._view(label if label and label in self.role_agendas else "")

    def agenda_for(self, person_id: int) -> OrgAgenda | None:
        """The org agenda that applies to this learner."""
        label = self._members[person_id].person.role_label if person_id in self._members else None
        if label and label in self.role_agendas:
            return agenda_for_role(self.org_agenda, self.role_agendas[label])
        return self.org_agenda

    @cached_property
    def _views(self) -> dict[str, OrgView]:
        return {}

    def _view(self, label: str) -> OrgView:
        view = self._views.get(label)
        if view is None:
            role = self.role_agendas.get(label) if label else None
            agenda = agenda_for_role(self.org_agenda, role) if role else self.org_agenda
            # Named by the versions it is made of: an agenda changes only by a new version.
            key = tuple((a.context_id, a.role_label, a.version) for a in (self.org_agenda, role) if a is not None)
            view = self._views[label] = self._memo_view(key, agenda)
        return view

    def _memo_view(self, key: tuple[tuple[int, str, int], ...], agenda: OrgAgenda | None) -> OrgView:
        """A new view of the catalogue for the agenda, or the memo's."""

        def make() -> OrgView:
            return OrgView(
                self.catalogue,
                agenda.needs if agenda else {},
                agenda.mandatory if agenda else {},
                self.policy.thresholds,
            )

        if self.memo is None or self.catalogue.version is None:
            return make()
        version = (self.tenant_id, self.catalogue.version)
        return self.memo.get(("org view", version, key, self.policy.thresholds), make)

    @cached_property
    def _alignments(self) -> dict[tuple[int, tuple[int, int] | None], dict[int, Alignment]]:
        return {}

    @cached_property
    def _own_candidates(self) -> dict[int, OwnCandidates]:
        return {}

    @cached_property
    def _days(self) -> dict[str, date]:
        return {}

    @cached_property
    def _members(self) -> dict[int, Member]:
        return {m.person.id: m for m in self.members}

    def member(self, person_id: int) -> Member:
        """The learner on this context's roster."""
        return self._members[person_id]


def load_snapshot(
    uow: UnitOfWork,
    tenant_id: int,
    context_id: int,
    as_of: datetime,
    person_ids: Sequence[int] | None = None,
    catalogue: Catalogue | None = None,
    with_roadmaps: bool = True,
    with_active_days: bool = True,
    policy: Policy | None = None,
    learners: tuple[Context, Sequence[Member]] | None = None,
) -> ContextSnapshot:
    """Load the context's learners (all, or `person_ids`) and everything their roadmaps depend on.

    A `catalogue` loaded once serves every context of a tenant-wide pass; `with_roadmaps=False` and
    `with_active_days=False` leave out the stored roadmaps and the days learners were active, which
    planning does not read. `policy` stands in for the tenant's stored policy (to see what another policy
    would do, or the tenant's own, read already). `learners` gives the context and the roster's learners
    to load, read already (`people.learner_rosters`), in place of `context_id` and `person_ids`.
    """
    context, listed = learners if learners is not None else (get_context(uow, tenant_id, context_id), None)
    if listed is None:
        listed = roster(uow, context, Role.LEARNER, person_ids)
    members = tuple(m for m in listed if m.joined_at < as_of)
    ids = [m.person.id for m in members]
    policy = policy if policy is not None else get_policy(uow, tenant_id)
    catalogue = catalogue if catalogue is not None else load_catalogue(uow, tenant_id)
    org_agendas = org_agendas_as_of(uow, tenant_id, context.id, as_of, catalogue.version)
    return ContextSnapshot(
        tenant_id=tenant_id,
        context=context,
        as_of=as_of,
        policy=policy,
        org_agenda=org_agendas.get(""),
        role_agendas={label: agenda for label, agenda in org_agendas.items() if label},
        catalogue=catalogue,
        members=members,
        agendas=_personal_agendas_as_of(uow, tenant_id, ids, as_of),
        learning=learning_as_of(
            uow,
            tenant_id,
            ids,
            as_of,
            catalogue.index,
            as_of.date() - timedelta(days=lookback_days(policy.stall)) if with_active_days else None,
        ),
        roadmaps=roadmap_states(uow, tenant_id, context.id, ids, until=as_of) if with_roadmaps else {},
        memo=uow.memo,
    )


def load_catalogue(uow: UnitOfWork, tenant_id: int) -> Catalogue:
    """The tenant's active opportunities and skill names (kept in the unit of work's memo, if it has one,
    for as long as the catalogue does not change)."""
    if uow.memo is None:
        return _read_catalogue(uow, tenant_id)
    version = catalogue_version(uow, tenant_id)
    return uow.memo.get(("catalogue", tenant_id, version), lambda: _read_catalogue(uow, tenant_id, version))


def load_catalogue_and_policy(uow: UnitOfWork, tenant_id: int) -> tuple[Catalogue, Policy]:
    """The tenant's catalogue (as `load_catalogue`) and its policy: one query when the memo has the catalogue."""
    found, *columns = uow.session.execute(_tenant_query(), {"tenant_id": tenant_id}).one()
    values = dict(zip(_POLICY_COLUMNS, columns, strict=True))
    policy = stored_policy(PolicyRecord(**values) if values["tenant_id"] is not None else None).policy
    if uow.memo is None:
        return _read_catalogue(uow, tenant_id), policy
    version = found or 0
    return uow.memo.get(("catalogue", tenant_id, version), lambda: _read_catalogue(uow, tenant_id, version)), policy


@cache
def _tenant_query() -> Any:
    """The tenant's catalogue version and its policy's columns (`_POLICY_COLUMNS`; None without one)."""
    p = PolicyRecord.__table__.c
    return (
        select(TenantRecord.catalogue_version, *(p[name] for name in _POLICY_COLUMNS))
        .outerjoin(PolicyRecord, PolicyRecord.tenant_id == TenantRecord.id)
        .where(TenantRecord.id == bindparam("tenant_id"))
    )


_POLICY_COLUMNS = tuple(column.key for column in PolicyRecord.__table__.columns)


def _read_catalogue(uow: UnitOfWork, tenant_id: int, version: int | None = None) -> Catalogue:
    return Catalogue(
        version=version,
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
    """Each person's agenda as it stood at `as_of`, read as plain columns in one query."""
    if not person_ids:
        return {}
    rows = uow.session.execute(
        _agendas_query(dialect_of(uow)), {"tenant_id": tenant_id, "people": list(person_ids), "as_of": as_of}
    )
    found: dict[int, tuple[int, datetime, str, float, str | None]] = {}
    interests: dict[int, dict[int, Interest]] = defaultdict(dict)
    levels = {level.value: level for level in Interest}
    for person, version, created_at, aspirations, weekly_hours, target_role, skill, interest in rows:
        found[person] = (version, created_at, aspirations, weekly_hours, target_role)
        if skill is not None:
            interests[person][skill] = levels[interest]
    return {
        person: PersonalAgenda(person, version, created_at, interests[person], aspirations, weekly_hours, target_role)
        for person, (version, created_at, aspirations, weekly_hours, target_role) in found.items()
    }


@cache
def _agendas_query(dialect: str) -> Any:
    """The personal agendas of the tenant's learners `people` as they stood at `as_of`, with their interests."""
    p, i = PersonalAgendaRecord, PersonalInterestRecord
    latest = (
        select(p.person_id, func.max(p.version).label("version"))
        .where(
            p.tenant_id == bindparam("tenant_id"),
            among_param(dialect, p.person_id, "people"),
            p.created_at < bindparam("as_of"),
        )
        .group_by(p.person_id)
        .subquery()
    )
    return (
        select(
            p.person_id, p.version, p.created_at, p.aspirations, p.weekly_hours, p.target_role, i.skill_id, i.interest
        )
        .join(latest, (latest.c.person_id == p.person_id) & (latest.c.version == p.version))
        .outerjoin(i, i.agenda_id == p.id)
        .where(p.tenant_id == bindparam("tenant_id"))
    )


# --- what follows from a snapshot (pure) ----------------------------------------------------------------


def learner_alignments(snapshot: ContextSnapshot, person_id: int | None) -> dict[int, Alignment]:
    """Where every active opportunity falls for the learner (learners without an agenda share one result).

    An opportunity building none of the skills the learner wants falls where it falls for someone with
    no agenda under the same org agenda, so only the opportunities that build a wanted skill are aligned
    again per learner.
    """
    view = snapshot.view_for(person_id)
    agenda = snapshot.agendas.get(person_id) if person_id is not None else None
    key = (id(view), (agenda.person_id, agenda.version) if agenda else None)
    cached = snapshot._alignments.get(key)
    if cached is None:
        shared = snapshot._alignments.get((id(view), None))
        if shared is None:
            shared = snapshot._alignments[(id(view), None)] = {o.id: view.alignment(o) for o in snapshot.opportunities}
        cached = shared
        if agenda is not None:
            cached = dict(shared)
            shares = snapshot.catalogue.shares
            by_id = snapshot.catalogue.by_id
            wanted = {o for skill, level in agenda.interests.items() if level > 0 for o, _ in shares.get(skill, ())}
            for o in wanted:
                cached[o] = view.learner_alignment(by_id[o], agenda.interests)
        snapshot._alignments[key] = cached
    return cached


def learner_progress(snapshot: ContextSnapshot, person_id: int) -> Mapping[int, ItemProgress]:
    """The learner's progress on each active opportunity they have worked on, as of the snapshot."""
    return snapshot.learning.get(person_id, NO_LEARNING).progress


def learner_plan(snapshot: ContextSnapshot, person_id: int, today: date) -> Plan:
    """The roadmap the rules give the learner today, from the snapshot's agendas and progress."""
    agenda = snapshot.agendas.get(person_id)
    return plan_roadmap(
        _candidates(snapshot, person_id),
        today=today,
        weekly_hours=agenda.weekly_hours if agenda else DEFAULT_WEEKLY_HOURS,
        gift_budget_hours_per_quarter=snapshot.policy.gift_budget_hours_per_quarter,
        prerequisites_checked=snapshot.catalogue.prerequisites_checked,
    )


def replanned(snapshot: ContextSnapshot, latest: Mapping[int, RoadmapVersion]) -> ContextSnapshot:
    """The snapshot as it would be had every learner been re-planned at its moment (nothing is stored).

    `latest` holds each learner's newest stored version: a learner whose plan would not change keeps their
    roadmap, as `next_version` would; any other gets a new current version that changes the roadmap's
    scope, so behind-pace detection measures from it.
    """
    roadmaps = dict(snapshot.roadmaps)
    for member in snapshot.members:
        person_id = member.person.id
        plan = learner_plan(snapshot, person_id, snapshot.as_of.date())
        previous = latest.get(person_id)
        if previous is not None and (previous.plan_text == plan_text(plan) or previous.plan == plan):
            continue
        state = roadmaps.get(person_id)
        roadmaps[person_id] = RoadmapState(
            version=state.version + 1 if state else 1,
            first_made_at=state.first_made_at if state else snapshot.as_of,
            baseline_start=plan.starts_on,
            baseline_finish=plan.projected_finish,
            stored_steps=steps_text(plan),
        )
    return replace(snapshot, roadmaps=roadmaps)


def learner_situation(snapshot: ContextSnapshot, person_id: int) -> Situation:
    """What the stall rules and momentum need to know about the learner at the snapshot's moment."""
    member = snapshot.member(person_id)
    learning = snapshot.learning.get(person_id, NO_LEARNING)
    agenda = snapshot.agendas.get(person_id)
    view = snapshot.view_for(person_id)
    by_id = snapshot.catalogue.by_id
    levels = interest_levels(agenda.interests) if agenda else {}
    items = tuple(
        ItemActivity(o, item.last_activity_at, view.quadrant(by_id[o], levels))
        for o, item in learning.progress.items()
        if item.last_activity_at is not None
    )
    state = snapshot.roadmaps.get(person_id)
    known_since = min(member.joined_at, state.first_made_at) if state else member.joined_at
    progress = learning.progress
    if state is not None:
        steps = state.steps(progress, snapshot._days)
    else:
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
            for item in learner_plan(snapshot, person_id, known_since.date()).items
        )
    baseline = state is not None and state.baseline_start is not None
    projected = None
    # Worked out only when the rules read it: behind pace reads the projected finish when nothing is overdue.
    if baseline and not overdue_steps(steps, snapshot.policy.stall, snapshot.as_of):
        projected = projected_finish(
            _candidates(snapshot, person_id),
            today=snapshot.as_of.date(),
            weekly_hours=agenda.weekly_hours if agenda else DEFAULT_WEEKLY_HOURS,
            gift_budget_hours_per_quarter=snapshot.policy.gift_budget_hours_per_quarter,
            prerequisites_checked=snapshot.catalogue.prerequisites_checked,
        )
    return Situation(
        learner_name=member.person.name,
        known_since=known_since,
        last_activity_at=learning.last_activity_at,
        active_days=learning.active_days,
        items=items,
        steps=steps,
        role_started_on=member.person.role_started_on,
        baseline_start=state.baseline_start if state else None,
        baseline_finish=state.baseline_finish if state else None,
        projected_finish=projected,
    )


def _candidates(snapshot: ContextSnapshot, person_id: int) -> list[Candidate]:
    agenda = snapshot.agendas.get(person_id)
    view = snapshot.view_for(person_id)
    # Kept with the snapshot (one context), not with the view, which the memo may keep much longer.
    shared = snapshot._own_candidates.setdefault(id(view), {})
    return view.learner_candidates(agenda.interests if agenda else {}, learner_progress(snapshot, person_id), shared)
