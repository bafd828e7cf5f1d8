"""Re-planning: give learners roadmaps that reflect what changed, one snapshot per context."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import select

from alignment import sentences
from alignment.candidates import Catalogue
from alignment.database import UnitOfWork
from alignment.errors import NotFound
from alignment.messages import Message
from alignment.people import Context, ContextRecord, Member, learner_rosters
from alignment.policies import Policy, StoredPolicy, current_policy, set_policy
from alignment.roadmaps import RoadmapVersion, Trigger, latest_versions, next_version, store_versions
from alignment.snapshots import learner_plan, load_catalogue, load_snapshot


def replan(
    uow: UnitOfWork, tenant_id: int, person_id: int, context_id: int, trigger: Trigger, reason: Message, now: datetime
) -> RoadmapVersion:
    """Plan the learner's roadmap in the context from today; keep it as a new version if it changed."""
    versions = _replan_in_context(uow, tenant_id, context_id, {person_id: reason}, trigger, now, everyone=False)
    if person_id not in versions:
        raise NotFound(f"person {person_id} is not a learner in context {context_id}")
    return versions[person_id][1]


def replan_context(
    uow: UnitOfWork,
    tenant_id: int,
    context_id: int,
    trigger: Trigger,
    reason: Message,
    now: datetime,
    catalogue: Catalogue | None = None,
) -> int:
    """Re-plan every learner of the context; return how many roadmaps changed (`catalogue`: see load_snapshot)."""
    versions = _replan_in_context(
        uow, tenant_id, context_id, defaultdict(lambda: reason), trigger, now, everyone=True, catalogue=catalogue
    )
    return sum(changed for changed, _ in versions.values())


def replan_person(
    uow: UnitOfWork, tenant_id: int, person_id: int, trigger: Trigger, reason: Message, now: datetime
) -> int:
    """Re-plan the person in every context where they learn; return how many roadmaps changed."""
    return replan_people(uow, tenant_id, {person_id: reason}, trigger, now)


def replan_people(
    uow: UnitOfWork,
    tenant_id: int,
    reasons: Mapping[int, Message],
    trigger: Trigger,
    now: datetime,
    catalogue: Catalogue | None = None,
    policy: Policy | None = None,
) -> int:
    """Re-plan each person (with their own reason) in every context where they learn, one snapshot per
    context however many people; return how many roadmaps changed. `catalogue` and `policy` are the
    tenant's, if read already."""
    if not reasons:
        return 0
    changed = 0
    for context, members in learner_rosters(uow, tenant_id, list(reasons)).items():
        wanted = {member.person.id: reasons[member.person.id] for member in members}
        versions = _replan_in_context(
            uow,
            tenant_id,
            context.id,
            wanted,
            trigger,
            now,
            everyone=False,
            catalogue=catalogue,
            policy=policy,
            learners=(context, members),
        )
        changed += sum(was_changed for was_changed, _ in versions.values())
    return changed


def replan_tenant(uow: UnitOfWork, tenant_id: int, trigger: Trigger, reason: Message, now: datetime) -> int:
    """Re-plan every learner of every context of the tenant (after opportunities or the policy change)."""
    contexts = list(uow.session.scalars(select(ContextRecord.id).where(ContextRecord.tenant_id == tenant_id)))
    catalogue = load_catalogue(uow, tenant_id)
    return sum(replan_context(uow, tenant_id, c, trigger, reason, now, catalogue) for c in contexts)


def change_policy(
    uow: UnitOfWork,
    tenant_id: int,
    changes: Mapping[str, float],
    now: datetime,
    based_on: int | None = None,
    changed_by_id: int | None = None,
) -> tuple[StoredPolicy, int]:
    """Store the tenant's next policy (see `set_policy`); when its thresholds or gift budget change, re-plan
    every roadmap. Return the stored policy and how many roadmaps changed."""
    before = current_policy(uow, tenant_id).policy
    stored = set_policy(uow, tenant_id, changes, now=now, based_on=based_on, changed_by_id=changed_by_id)
    if stored.policy.plans_like(before):
        return stored, 0
    return stored, replan_tenant(uow, tenant_id, Trigger.POLICY, sentences.REPLAN_POLICY(), now)


def _replan_in_context(
    uow: UnitOfWork,
    tenant_id: int,
    context_id: int,
    reasons: Mapping[int, Message],
    trigger: Trigger,
    now: datetime,
    everyone: bool,
    catalogue: Catalogue | None = None,
    policy: Policy | None = None,
    learners: tuple[Context, Sequence[Member]] | None = None,
) -> dict[int, tuple[bool, RoadmapVersion]]:
    """Re-plan the learners of `reasons` (or all, with `everyone`) from one snapshot of the context.

    The newest stored version is the previous one whatever its time, so that two re-plans in the same
    instant still chain.
    """
    snapshot = load_snapshot(
        uow,
        tenant_id,
        context_id,
        now,
        person_ids=None if everyone else list(reasons),
        catalogue=catalogue,
        with_roadmaps=False,
        with_active_days=False,
        policy=policy,
        learners=learners,
    )
    people = [m.person.id for m in snapshot.members]
    latest = latest_versions(uow, tenant_id, context_id, people)
    result = {}
    rows = []
    for person_id in people:
        previous = latest.get(person_id)
        plan = learner_plan(snapshot, person_id, now.date())
        version, row = next_version(tenant_id, person_id, context_id, plan, trigger, reasons[person_id], previous, now)
        result[person_id] = (row is not None, version)
        if row is not None:
            rows.append(row)
        if len(rows) == WRITE_EVERY:
            store_versions(uow, rows)
            rows = []
    store_versions(uow, rows)
    return result


WRITE_EVERY = 500
"""New roadmap versions written per statement: few statements, and never a large context's plans at once."""
