"""Taking in learning: events from the xAPI listener and LTI launches move roadmaps forward.

The intake is idempotent: events already recorded change nothing, so the hand-off can be replayed
from the statement store at any time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from alignment import sentences
from alignment.database import UnitOfWork
from alignment.events import record_learning
from alignment.opportunities import OpportunityRecord, discover_activity
from alignment.replanning import replan_people
from alignment.roadmaps import Trigger
from alignment.rules.progress import LearningEvent
from alignment.snapshots import load_catalogue_and_policy


@dataclass(frozen=True)
class Intake:
    """What taking in a batch of events did."""

    recorded: int
    discovered: int
    replanned: int


def take_in(
    uow: UnitOfWork,
    tenant_id: int,
    events: Iterable[LearningEvent],
    now: datetime,
    activity_names: Mapping[str, str] | None = None,
) -> Intake:
    """Record new events, hold unknown activities for tagging, and re-plan learners who finished something.

    `activity_names` gives the display name a statement carried for an activity id, so a discovered
    activity gets a title people recognise. Everything is found by index — the events' own mappings and
    the learners' tallies — so taking in one event costs the same in a small tenant as in a large one.
    """
    batch = list(events)
    recorded = record_learning(uow, tenant_id, batch)
    if recorded.new == 0:
        return Intake(0, 0, 0)
    discovered = 0
    names = activity_names or {}
    for activity in sorted(recorded.unmatched):
        discovered += discover_activity(uow, tenant_id, activity, names.get(activity)) is not None
    finished = {o for found in recorded.finished.values() for o in found}
    if not finished:
        return Intake(recorded.new, discovered, 0)
    catalogue, policy = load_catalogue_and_policy(uow, tenant_id)
    titles = {o: catalogue.by_id[o].title for o in finished if o in catalogue.by_id}
    if finished - titles.keys():
        rows = uow.session.execute(
            select(OpportunityRecord.id, OpportunityRecord.title).where(
                OpportunityRecord.id.in_(finished - titles.keys())
            )
        )
        titles |= {opportunity: title for opportunity, title in rows}
    reasons = {
        person: sentences.REPLAN_FINISHED(titles=[titles.get(o, str(o)) for o in sorted(found)])
        for person, found in sorted(recorded.finished.items())
    }
    replanned = replan_people(uow, tenant_id, reasons, Trigger.PROGRESS, now, catalogue, policy)
    return Intake(recorded.new, discovered, replanned)
