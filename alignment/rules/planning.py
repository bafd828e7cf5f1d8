"""Roadmap planning: which opportunities a learner takes on, in what order, and on which dates.

Mandatory items come first by due date, then sweet-spot items by combined value, then uphill items
(carrying the organisation's why), then gifts while the tenant's gift budget lasts; waste never,
unless it is mandatory or a prerequisite of something planned. Prerequisites always come before what
needs them. Work is scheduled from `today` at the learner's weekly hours, spread evenly over the week.

A plan lists what it left out only where a person can act on it: gifts beyond the gift budget. Waste —
everything neither side needs, most of a large catalogue — is not listed: it follows from the alignment,
and listing it made every stored roadmap as large as the catalogue.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cached_property

from alignment import sentences
from alignment.errors import InvalidInput
from alignment.messages import Message
from alignment.rules.quadrants import Quadrant

MINUTES_PER_HOUR = 60
DAYS_PER_WEEK = 7


class PrerequisiteCycle(InvalidInput):
    """Opportunities that each need another of them first can never be started."""


@dataclass(frozen=True)
class Candidate:
    """An opportunity as the planner sees it for one learner."""

    opportunity_id: int
    title: str
    effort_hours: float
    quadrant: Quadrant
    personal_value: float
    org_value: float
    explanation: Message | None
    """Why it is on the roadmap when planned for its own sake; None when `explain` works it out."""
    org_why: str = ""
    mandatory_due: date | None = None
    prerequisites: frozenset[int] = frozenset()
    done_fraction: float = 0.0
    finished: bool = False
    explain: Callable[[], Message] | None = field(default=None, compare=False, repr=False)
    """Works the explanation out when it is needed, if `explanation` is None: most candidates are never
    planned for their own sake, and naming the skills behind each costs more than planning it."""

    @cached_property
    def remaining_minutes(self) -> int:
        """Learning time still needed, in whole minutes."""
        done = min(max(self.done_fraction, 0.0), 1.0)
        return round(self.effort_hours * (1 - done) * MINUTES_PER_HOUR)

    @cached_property
    def reason(self) -> Message:
        """Why it is on the roadmap when planned for its own sake (worked out once: learners who share the
        candidate share it)."""
        if self.explanation is not None:
            return self.explanation
        if self.explain is None:
            raise ValueError(f"candidate {self.opportunity_id} has neither an explanation nor a way to explain")
        return self.explain()

    @cached_property
    def mandatory_reason(self) -> Message:
        """Why it is on the roadmap when it is mandatory."""
        return sentences.PLAN_MANDATORY(due=self.mandatory_due)

    @property
    def combined_value(self) -> float:
        """Both sides together, to rank sweet-spot items."""
        return (self.personal_value + self.org_value) / 2

    # A snapshot gives every learner the same Candidate for an opportunity none of their own choices
    # touch, so what follows from the candidate alone is worked out once, not once per learner.

    @cached_property
    def rank(self) -> tuple[int, float, str, int]:
        """Where the candidate comes in the planning order: mandatory by due date, then sweet spot, uphill,
        gift and waste, each by value, then by title."""
        if self.mandatory_due is not None:
            return (0, float(self.mandatory_due.toordinal()), self.title, self.opportunity_id)
        match self.quadrant:
            case Quadrant.SWEET_SPOT:
                return (1, -self.combined_value, self.title, self.opportunity_id)
            case Quadrant.UPHILL:
                return (2, -self.org_value, self.title, self.opportunity_id)
            case Quadrant.GIFT:
                return (3, -self.personal_value, self.title, self.opportunity_id)
            case Quadrant.WASTE:
                return (4, 0.0, self.title, self.opportunity_id)


@dataclass(frozen=True, slots=True)
class PlannedItem:
    """One dated step of a roadmap."""

    opportunity_id: int
    title: str
    quadrant: Quadrant
    reason: Message
    hours: float
    start: date
    finish: date
    org_why: str = ""
    due: date | None = None
    prerequisite_of: tuple[int, ...] = ()

    @property
    def mandatory(self) -> bool:
        """True for items everyone in the context must do."""
        return self.due is not None

    @property
    def at_risk(self) -> bool:
        """True when the planned finish is after the due date."""
        return self.due is not None and self.finish > self.due


@dataclass(frozen=True, slots=True)
class LeftOut:
    """An opportunity the roadmap does not include, and why."""

    opportunity_id: int
    title: str
    quadrant: Quadrant
    reason: Message


@dataclass(frozen=True, slots=True)
class Plan:
    """A roadmap: the planned steps in order, and the gifts left out for the gift budget."""

    starts_on: date
    weekly_hours: float
    items: tuple[PlannedItem, ...]
    left_out: tuple[LeftOut, ...]

    @property
    def projected_finish(self) -> date | None:
        """When the last planned step should be done."""
        return self.items[-1].finish if self.items else None

    @property
    def planned_hours(self) -> float:
        """Hours of work still planned."""
        return sum(item.hours for item in self.items)


def plan_roadmap(
    candidates: Sequence[Candidate],
    *,
    today: date,
    weekly_hours: float,
    gift_budget_hours_per_quarter: float = 0.0,
    prerequisites_checked: bool = False,
) -> Plan:
    """Order and date the candidates for a learner who gives `weekly_hours` a week to learning.

    `prerequisites_checked` says the caller already ran `check_no_prerequisite_cycle` on these
    candidates' prerequisites (once for a whole context rather than once per learner).
    """
    schedule = _Schedule(candidates, today, weekly_hours, gift_budget_hours_per_quarter, prerequisites_checked)
    weekly = schedule.weekly_minutes
    # Steps start on the day the one before finished: each day is made once.
    days: dict[int, date] = {}
    items = []
    for candidate, needed_by, start, end in schedule.placements:
        if candidate.mandatory_due is not None:
            reason = candidate.mandatory_reason
        elif needed_by is not None:
            reason = sentences.PLAN_NEEDED_BEFORE(title=needed_by.title)
        else:
            reason = candidate.reason
        first = start * DAYS_PER_WEEK // weekly
        # The day in which the work's last instant falls (the instant just before `end`).
        last = first if end == start else (end * DAYS_PER_WEEK - 1) // weekly
        starts = days.get(first)
        if starts is None:
            starts = days[first] = today + timedelta(days=first)
        finishes = days.get(last)
        if finishes is None:
            finishes = days[last] = today + timedelta(days=last)
        items.append(
            PlannedItem(
                candidate.opportunity_id,
                candidate.title,
                candidate.quadrant,
                reason,
                (end - start) / MINUTES_PER_HOUR,
                starts,
                finishes,
                candidate.org_why,
                candidate.mandatory_due,
                (needed_by.opportunity_id,) if needed_by is not None else (),
            )
        )
    over_budget = sentences.LEFT_OUT_GIFT_BUDGET(hours=gift_budget_hours_per_quarter)
    return Plan(
        starts_on=today,
        weekly_hours=weekly_hours,
        items=tuple(items),
        # Something left out early may have been pulled in later as a prerequisite.
        left_out=tuple(
            LeftOut(c.opportunity_id, c.title, c.quadrant, over_budget)
            for c in schedule.left_out
            if c.opportunity_id not in schedule.placed
        ),
    )


def projected_finish(
    candidates: Sequence[Candidate],
    *,
    today: date,
    weekly_hours: float,
    gift_budget_hours_per_quarter: float = 0.0,
    prerequisites_checked: bool = False,
) -> date | None:
    """The projected finish of the plan `plan_roadmap` would make, without writing the plan out."""
    schedule = _Schedule(candidates, today, weekly_hours, gift_budget_hours_per_quarter, prerequisites_checked)
    if not schedule.placements:
        return None
    _, _, start, end = schedule.placements[-1]
    return today + timedelta(days=schedule.last_day(start, end))


class _Schedule:
    """Where each candidate goes, in minutes of the learner's learning time from `today`."""

    def __init__(
        self,
        candidates: Sequence[Candidate],
        today: date,
        weekly_hours: float,
        gift_budget_hours_per_quarter: float,
        prerequisites_checked: bool,
    ) -> None:
        if weekly_hours <= 0:
            raise InvalidInput(f"weekly hours must be more than 0, got {weekly_hours}")
        if gift_budget_hours_per_quarter < 0:
            raise InvalidInput("gift budget must be 0 hours or more")
        if not prerequisites_checked:
            check_no_prerequisite_cycle({c.opportunity_id: c.prerequisites for c in candidates})
        self.today = today
        # Rounded down: the plan never asks for more time than the learner gave.
        self.weekly_minutes = max(1, math.floor(weekly_hours * MINUTES_PER_HOUR))
        self.placements: list[tuple[Candidate, Candidate | None, int, int]] = []
        self.placed: set[int] = {c.opportunity_id for c in candidates if c.finished}
        self.left_out: list[Candidate] = []
        by_id = {c.opportunity_id: c for c in candidates}
        budget_minutes = round(gift_budget_hours_per_quarter * MINUTES_PER_HOUR)
        gift_minutes_by_quarter: dict[tuple[int, int], int] = {}
        placed = self.placed
        placements = self.placements
        cursor = 0
        waste, gift = Quadrant.WASTE, Quadrant.GIFT
        for candidate in _ranked(c for c in candidates if not c.finished):
            if candidate.opportunity_id in placed:
                continue
            if candidate.mandatory_due is None and candidate.quadrant is waste:
                continue
            chain = _unplaced_chain(candidate, by_id, placed)
            if candidate.mandatory_due is None and candidate.quadrant is gift:
                chain_minutes = sum(c.remaining_minutes for c in chain)
                if budget_minutes == 0 and chain_minutes > 0:
                    self.left_out.append(candidate)  # no gift fits a budget of nothing
                    continue
                quarter = _quarter(today + timedelta(days=self.first_day(cursor)))
                spent = gift_minutes_by_quarter.get(quarter, 0)
                if spent + chain_minutes > budget_minutes:
                    self.left_out.append(candidate)
                    continue
                gift_minutes_by_quarter[quarter] = spent + chain_minutes
            for step in chain:
                end = cursor + step.remaining_minutes
                placements.append((step, candidate if step is not candidate else None, cursor, end))
                placed.add(step.opportunity_id)
                cursor = end

    def first_day(self, minutes: int) -> int:
        """The day (counted from today) in which the minute `minutes` of learning time falls."""
        return minutes * DAYS_PER_WEEK // self.weekly_minutes

    def last_day(self, start_minutes: int, end_minutes: int) -> int:
        """The day in which work from `start_minutes` to `end_minutes` ends."""
        if end_minutes == start_minutes:
            return self.first_day(start_minutes)
        # The day in which the work's last instant falls (the instant just before `end_minutes`).
        return (end_minutes * DAYS_PER_WEEK - 1) // self.weekly_minutes


def check_no_prerequisite_cycle(prerequisites: dict[int, frozenset[int]]) -> None:
    """Raise PrerequisiteCycle naming the opportunities if any chain of prerequisites loops."""
    state: dict[int, int] = {}  # 1 = on the current path, 2 = done

    def visit(node: int, path: list[int]) -> None:
        state[node] = 1
        for needed in sorted(prerequisites.get(node, frozenset())):
            if state.get(needed) == 1:
                loop = [*path[path.index(needed) :], needed]
                raise PrerequisiteCycle(sentences.REFUSED_PREREQUISITE_CYCLE(loop=" → ".join(str(n) for n in loop)))
            if state.get(needed) is None:
                visit(needed, [*path, needed])
        state[node] = 2

    for start in sorted(prerequisites):
        if state.get(start) is None:
            visit(start, [start])


def plannable(candidates: Iterable[Candidate]) -> list[Candidate]:
    """The candidates a plan can include — all but the waste nobody must do — and everything they need first.

    Planning only these gives the same plan as planning them all: waste that is neither mandatory nor
    needed first is never planned, and is not listed as left out. With a large catalogue, it is most of it.
    """
    given = list(candidates)
    chosen = with_prerequisites(
        (c.opportunity_id for c in given if c.quadrant is not Quadrant.WASTE or c.mandatory_due is not None),
        {c.opportunity_id: c.prerequisites for c in given},
    )
    return [c for c in given if c.opportunity_id in chosen]


def with_prerequisites(chosen: Iterable[int], prerequisites: Mapping[int, frozenset[int]]) -> set[int]:
    """The chosen opportunities and, transitively, everything they need first (unknown ids kept as given)."""
    found: set[int] = set()
    waiting = list(chosen)
    while waiting:
        opportunity = waiting.pop()
        if opportunity not in found:
            found.add(opportunity)
            waiting.extend(prerequisites.get(opportunity, ()))
    return found


def _ranked(candidates: Iterable[Candidate]) -> list[Candidate]:
    return sorted(candidates, key=lambda c: c.rank)


def _unplaced_chain(candidate: Candidate, by_id: dict[int, Candidate], placed: set[int]) -> list[Candidate]:
    """The candidate preceded by its not-yet-planned prerequisites, deepest first."""
    if not candidate.prerequisites:
        return [candidate]
    chain: list[Candidate] = []
    seen: set[int] = set()

    def add(c: Candidate) -> None:
        if c.opportunity_id in seen or c.opportunity_id in placed:
            return
        seen.add(c.opportunity_id)
        for needed in sorted(c.prerequisites):
            # A prerequisite unknown to the planner (retired, say) cannot hold anything up.
            if needed in by_id:
                add(by_id[needed])
        chain.append(c)

    add(candidate)
    return chain


def _quarter(day: date) -> tuple[int, int]:
    return (day.year, (day.month - 1) // 3)
