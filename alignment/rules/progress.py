"""Progress from learning events: which opportunities a learner started, how far they got, what they finished.

Events come from xAPI statements (the listener hands them over) and LTI launches. An event matches an
opportunity exactly (its activity id, or its LTI resource link) or through its context: an opportunity
that is the parent or grouping activity of the statement's activity (xAPI 1.0.3 Part Two §4.1.6.2).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

ADL = "http://adlnet.gov/expapi/verbs/"
COMPLETED = ADL + "completed"
PASSED = ADL + "passed"
MASTERED = ADL + "mastered"
FAILED = ADL + "failed"
LAUNCHED = ADL + "launched"
FINISHING_VERBS = frozenset({COMPLETED, PASSED, MASTERED})


@dataclass(frozen=True)
class LearningEvent:
    """One thing a learner did, as the domain needs it (validated and typed at the edge)."""

    event_id: str
    learner_id: int
    occurred_at: datetime
    verb: str
    activity_id: str | None = None
    context_activity_ids: tuple[str, ...] = ()
    lti_resource_link_id: str | None = None
    completion: bool | None = None
    success: bool | None = None
    progress: float | None = None
    """Share done, 0 to 1 (the edge scales a 0–100 progress such as cmi5's to this)."""
    voids: str | None = None
    """For a voiding statement: the id of the event it cancels."""


@dataclass(frozen=True)
class Matcher:
    """What identifies an opportunity in learning events."""

    opportunity_id: int
    activity_ids: frozenset[str] = frozenset()
    lti_resource_link_ids: frozenset[str] = frozenset()


class MatchKind(StrEnum):
    """How an event was tied to an opportunity."""

    EXACT = "exact"
    CONTEXT = "context"


@dataclass(frozen=True, slots=True)
class ItemProgress:
    """How far a learner is with one opportunity."""

    opportunity_id: int
    first_activity_at: datetime | None = None
    last_activity_at: datetime | None = None
    finished_at: datetime | None = None
    done_fraction: float = 0.0
    events: int = 0
    completed_parts: int = 0

    @property
    def started(self) -> bool:
        """True once any event matched."""
        return self.events > 0

    @property
    def finished(self) -> bool:
        """True once a finishing event matched exactly."""
        return self.finished_at is not None


class MatcherIndex:
    """Looks up the opportunities an event belongs to."""

    def __init__(self, matchers: Sequence[Matcher]) -> None:
        self._by_activity: dict[str, list[int]] = {}
        self._by_link: dict[str, list[int]] = {}
        self.opportunities = frozenset(matcher.opportunity_id for matcher in matchers)
        """Every opportunity the index can find."""
        for matcher in matchers:
            for activity in matcher.activity_ids:
                self._by_activity.setdefault(activity, []).append(matcher.opportunity_id)
            for link in matcher.lti_resource_link_ids:
                self._by_link.setdefault(link, []).append(matcher.opportunity_id)

    def matches(self, event: LearningEvent) -> dict[int, MatchKind]:
        """The opportunities `event` belongs to, exact matches winning over context ones."""
        found: dict[int, MatchKind] = {}
        for activity in event.context_activity_ids:
            for opportunity in self._by_activity.get(activity, ()):
                found[opportunity] = MatchKind.CONTEXT
        exact = [*self._by_activity.get(event.activity_id or "", ())]
        exact += self._by_link.get(event.lti_resource_link_id or "", [])
        for opportunity in exact:
            found[opportunity] = MatchKind.EXACT
        return found


def effective_events(events: Iterable[LearningEvent], as_of: datetime | None = None) -> list[LearningEvent]:
    """Events that stand at `as_of`, oldest first: later events and voided ones left out.

    A voiding event cancels its target only from the moment it happened, so a back-test as of an
    earlier moment still sees the target (xAPI 1.0.3 Part Two §2.5: voiding is itself a statement).
    """
    standing = [e for e in events if as_of is None or e.occurred_at < as_of]
    voided = {e.voids for e in standing if e.voids is not None}
    kept = [e for e in standing if e.voids is None and e.event_id not in voided]
    return sorted(kept, key=lambda e: (e.occurred_at, e.event_id))


def finishes(event: LearningEvent) -> bool:
    """Completed, passed and mastered finish an item, as does `result.completion`; a failure never does."""
    if event.verb == FAILED or event.success is False:
        return False
    return event.verb in FINISHING_VERBS or event.completion is True


def progress_by_opportunity(
    events: Iterable[LearningEvent], index: MatcherIndex, as_of: datetime | None = None
) -> dict[int, ItemProgress]:
    """The progress of one learner on every opportunity their events touch."""
    progress: dict[int, ItemProgress] = {}
    for event in effective_events(events, as_of):
        for opportunity, kind in index.matches(event).items():
            progress[opportunity] = advance(progress.get(opportunity), opportunity, event, kind)
    return progress


def advance(item: ItemProgress | None, opportunity_id: int, event: LearningEvent, kind: MatchKind) -> ItemProgress:
    """The progress on an opportunity after one more standing event that matched it.

    Events can be added in any order — the first and last activity are the earliest and latest, an item
    is finished from its earliest finishing event, and a finished item stays done — so a running tally
    gives what reading every event in time order gives.
    """
    at = event.occurred_at
    if item is None:
        first, last, finished, done, events, parts = at, at, None, 0.0, 0, 0
    else:
        first = item.first_activity_at if item.first_activity_at is not None and item.first_activity_at <= at else at
        last = item.last_activity_at if item.last_activity_at is not None and item.last_activity_at >= at else at
        finished, done, events, parts = item.finished_at, item.done_fraction, item.events, item.completed_parts
    if kind is MatchKind.EXACT:
        if finishes(event):
            finished = at if finished is None or at < finished else finished
        if finished is not None:
            done = 1.0
        elif event.progress is not None:
            done = max(done, _clamp(event.progress))
    elif finishes(event):
        parts += 1
    return ItemProgress(opportunity_id, first, last, finished, done, events + 1, parts)


def _clamp(value: float) -> float:
    return min(max(value, 0.0), 1.0)
