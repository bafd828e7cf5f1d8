"""Taking in learning: events from the xAPI listener and LTI launches move roadmaps forward.

The intake is idempotent: events already recorded change nothing, so the hand-off can be replayed
from the statement store at any time.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from alignment import sentences
from alignment.database import UnitOfWork
from alignment.events import events_by_person, record_events
from alignment.opportunities import discover_activity, list_opportunities
from alignment.replanning import replan_people
from alignment.roadmaps import Trigger
from alignment.rules.progress import LearningEvent, MatcherIndex, progress_by_opportunity


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
    activity gets a title people recognise.
    """
    batch = list(events)
    opportunities = list_opportunities(uow, tenant_id)
    index = MatcherIndex([o.matcher for o in opportunities])
    people = sorted({e.learner_id for e in batch})
    history = events_by_person(uow, tenant_id, people)
    before = {person: _finished(history[person], index) for person in people}
    recorded = record_events(uow, tenant_id, batch)
    if recorded == 0:
        return Intake(0, 0, 0)
    discovered = 0
    names = activity_names or {}
    for activity in sorted({e.activity_id for e in batch if e.activity_id and not index.matches(e)}):
        discovered += discover_activity(uow, tenant_id, activity, names.get(activity)) is not None
    known = {e.event_id for person in people for e in history[person]}
    for event in batch:
        if event.event_id not in known:
            history[event.learner_id].append(event)
            known.add(event.event_id)
    titles = {o.id: o.title for o in opportunities}
    reasons = {}
    for person in people:
        newly = sorted(_finished(history[person], index) - before[person])
        if newly:
            reasons[person] = sentences.REPLAN_FINISHED(titles=[titles.get(o, str(o)) for o in newly])
    replanned = replan_people(uow, tenant_id, reasons, Trigger.PROGRESS, now)
    return Intake(recorded, discovered, replanned)


def _finished(events: list[LearningEvent], index: MatcherIndex) -> set[int]:
    return {o for o, p in progress_by_opportunity(events, index).items() if p.finished}
