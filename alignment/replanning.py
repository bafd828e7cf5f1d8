"""Re-planning: give a learner (or every learner of a context) a roadmap that reflects what changed."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select

from alignment.database import UnitOfWork
from alignment.errors import NotFound
from alignment.people import ContextRecord, MembershipRecord, Role
from alignment.roadmaps import RoadmapVersion, Trigger, latest_version, latest_versions, store_version
from alignment.snapshots import ContextSnapshot, learner_plan, load_snapshot


def replan(
    uow: UnitOfWork, tenant_id: int, person_id: int, context_id: int, trigger: Trigger, reason: str, now: datetime
) -> RoadmapVersion:
    """Plan the learner's roadmap in the context from today; keep it as a new version if it changed."""
    snapshot = load_snapshot(uow, tenant_id, context_id, now, person_ids=[person_id])
    if not snapshot.members:
        raise NotFound(f"person {person_id} is not a learner in context {context_id}")
    return _replan(uow, snapshot, person_id, trigger, reason)


def replan_context(
    uow: UnitOfWork, tenant_id: int, context_id: int, trigger: Trigger, reason: str, now: datetime
) -> int:
    """Re-plan every learner of the context; return how many roadmaps changed."""
    snapshot = load_snapshot(uow, tenant_id, context_id, now)
    changed = 0
    for member in snapshot.members:
        before = latest_version(uow, tenant_id, member.person.id, context_id)
        version = _replan(uow, snapshot, member.person.id, trigger, reason)
        changed += before is None or version.version != before.version
    return changed


def _replan(
    uow: UnitOfWork, snapshot: ContextSnapshot, person_id: int, trigger: Trigger, reason: str
) -> RoadmapVersion:
    # The newest version whatever its time, so that two re-plans in the same instant still chain.
    previous = latest_version(uow, snapshot.tenant_id, person_id, snapshot.context.id)
    plan = learner_plan(snapshot, person_id, snapshot.as_of.date())
    return store_version(
        uow, snapshot.tenant_id, person_id, snapshot.context.id, plan, trigger, reason, previous, snapshot.as_of
    )


def replan_person(uow: UnitOfWork, tenant_id: int, person_id: int, trigger: Trigger, reason: str, now: datetime) -> int:
    """Re-plan the person in every context where they learn; return how many roadmaps changed."""
    contexts = uow.session.scalars(
        select(MembershipRecord.context_id).where(
            MembershipRecord.person_id == person_id,
            MembershipRecord.role == Role.LEARNER.value,
            MembershipRecord.active.is_(True),
        )
    )
    changed = 0
    for context_id in contexts:
        before = latest_version(uow, tenant_id, person_id, context_id)
        after = replan(uow, tenant_id, person_id, context_id, trigger, reason, now)
        changed += before is None or after.version != before.version
    return changed


def replan_tenant(uow: UnitOfWork, tenant_id: int, trigger: Trigger, reason: str, now: datetime) -> int:
    """Re-plan every learner of every context of the tenant (after opportunities or the policy change)."""
    contexts = list(uow.session.scalars(select(ContextRecord.id).where(ContextRecord.tenant_id == tenant_id)))
    return sum(replan_context(uow, tenant_id, context_id, trigger, reason, now) for context_id in contexts)


def replan_people(uow: UnitOfWork, tenant_id: int, reasons: Mapping[int, str], trigger: Trigger, now: datetime) -> int:
    """Re-plan each person (with their own reason) in every context where they learn, one snapshot per
    context however many people; return how many roadmaps changed."""
    if not reasons:
        return 0
    contexts: dict[int, list[int]] = defaultdict(list)
    for context_id, person_id in uow.session.execute(
        select(MembershipRecord.context_id, MembershipRecord.person_id).where(
            MembershipRecord.person_id.in_(list(reasons)),
            MembershipRecord.role == Role.LEARNER.value,
            MembershipRecord.active.is_(True),
        )
    ):
        contexts[context_id].append(person_id)
    changed = 0
    for context_id, people in contexts.items():
        snapshot = load_snapshot(uow, tenant_id, context_id, now, person_ids=people)
        latest = latest_versions(uow, tenant_id, context_id, [m.person.id for m in snapshot.members])
        for member in snapshot.members:
            person_id = member.person.id
            previous = latest.get(person_id)
            plan = learner_plan(snapshot, person_id, now.date())
            version = store_version(
                uow, tenant_id, person_id, context_id, plan, trigger, reasons[person_id], previous, now
            )
            changed += previous is None or version.version != previous.version
    return changed
