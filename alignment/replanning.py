"""Re-planning: give a learner (or every learner of a context) a roadmap that reflects what changed."""

from __future__ import annotations

from datetime import datetime

from alignment.database import UnitOfWork
from alignment.errors import NotFound
from alignment.roadmaps import RoadmapVersion, Trigger, latest_version, store_version
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
