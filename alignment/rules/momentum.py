"""Momentum: one score from 0 to 100 per learner and context that ranks who most needs attention.

It is computed from the same signals as the stall rules and explained by its parts:
- recency (35 %): full within a week of the last activity, falling to nothing at twice the quiet threshold;
- consistency (25 %): the share of the last eight weeks (whole days, ending today) with any learning activity;
- pace (25 %): the share of roadmap items due by now that are finished;
- progress (15 %): the share of the whole roadmap that is finished.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime

from alignment.rules.stalls import Situation, StallSettings

RECENT_DAYS = 7
CONSISTENCY_WEEKS = 8


@dataclass(frozen=True)
class MomentumPart:
    """One ingredient of the score: its value in [0, 1], its weight, and what it is made of."""

    name: str
    value: float
    weight: float
    detail: str


@dataclass(frozen=True)
class Momentum:
    """The score and its parts."""

    score: int
    parts: tuple[MomentumPart, ...]

    def explain(self) -> str:
        """The parts in one line, strongest drag first."""
        ordered = sorted(self.parts, key=lambda p: p.value * p.weight - p.weight)
        return "; ".join(f"{p.name} {round(p.value * 100)}%: {p.detail}" for p in ordered)


def momentum(situation: Situation, settings: StallSettings, as_of: datetime) -> Momentum:
    """The learner's momentum at `as_of`, from the activity and roadmap of the situation at that moment."""
    parts = (
        _recency(situation.last_activity_at, as_of=as_of, settings=settings),
        _consistency(situation.active_days, as_of),
        _pace(situation, as_of),
        _progress(situation),
    )
    score = math.floor(100 * sum(p.value * p.weight for p in parts) + 0.5)  # halves round up
    return Momentum(score=max(0, min(100, score)), parts=parts)


def _recency(last_activity_at: datetime | None, as_of: datetime, settings: StallSettings) -> MomentumPart:
    if last_activity_at is None:
        return MomentumPart("recency", 0.0, 0.35, "no learning activity yet")
    days = (as_of - last_activity_at).days
    horizon = max(2 * settings.quiet_days, RECENT_DAYS + 1)
    value = 1.0 if days <= RECENT_DAYS else max(0.0, 1 - (days - RECENT_DAYS) / (horizon - RECENT_DAYS))
    ago = "today" if days == 0 else f"{days} day{'s' if days != 1 else ''} ago"
    return MomentumPart("recency", value, 0.35, f"last active {ago}")


def _consistency(active_days: frozenset[date], as_of: datetime) -> MomentumPart:
    today = as_of.date()
    weeks = {(today - day).days // 7 for day in active_days if 0 <= (today - day).days < 7 * CONSISTENCY_WEEKS}
    value = len(weeks) / CONSISTENCY_WEEKS
    return MomentumPart("consistency", value, 0.25, f"active in {len(weeks)} of the last {CONSISTENCY_WEEKS} weeks")


def _pace(situation: Situation, as_of: datetime) -> MomentumPart:
    due = [step for step in situation.steps if step.deadline <= as_of.date()]
    if not due:
        return MomentumPart("pace", 1.0, 0.25, "nothing due yet")
    done = sum(step.finished for step in due)
    return MomentumPart("pace", done / len(due), 0.25, f"{done} of {len(due)} items due by now finished")


def _progress(situation: Situation) -> MomentumPart:
    if not situation.steps:
        return MomentumPart("progress", 0.0, 0.15, "no roadmap yet")
    done = sum(step.finished for step in situation.steps)
    total = len(situation.steps)
    return MomentumPart("progress", done / total, 0.15, f"{done} of {total} roadmap items finished")
