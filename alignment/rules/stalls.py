"""Stall detection: the rules that say a learner is not moving, each with evidence and a suggested action.

Every rule reads a `Situation` (what was known about a learner in a context at a moment) and the
tenant's `StallSettings`. A situation holds nothing after its moment, so rules can be back-tested on history.

Activity is read as a learner's last active moment, the days (UTC) they were active, and when each item was
last worked on — not event by event — so that a sweep reads a few values per learner however many events
they sent. Windows of days (plateau, and momentum's consistency) are whole days ending with the day of the
evaluation; "days quiet" and the uphill-avoidance window count from the exact moment.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from alignment import sentences
from alignment.messages import Message
from alignment.rules.quadrants import Quadrant

Evidence = dict[str, str | int | float | None]


class StallRule(StrEnum):
    """The ways a learner can stall."""

    NEVER_STARTED = "never_started"
    GONE_QUIET = "gone_quiet"
    BEHIND_PACE = "behind_pace"
    PLATEAU = "plateau"
    UPHILL_AVOIDANCE = "uphill_avoidance"

    @property
    def label(self) -> str:
        """The rule's name as a manager reads it."""
        return self.value.replace("_", " ").capitalize()


class Severity(StrEnum):
    """How urgently a manager should look."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True)
class StallSettings:
    """The tenant's thresholds for each rule."""

    never_started_days: int = 14
    quiet_days: int = 14
    overdue_grace_days: int = 7
    slip_share: float = 0.25
    plateau_tenure_days: int = 730
    plateau_window_days: int = 90
    plateau_drop_ratio: float = 0.5
    avoidance_window_days: int = 30

    def __post_init__(self) -> None:
        for name in (
            "never_started_days",
            "quiet_days",
            "plateau_tenure_days",
            "plateau_window_days",
            "avoidance_window_days",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1 day")
        if self.overdue_grace_days < 0:
            raise ValueError("overdue_grace_days must be 0 or more")
        if self.slip_share <= 0:
            raise ValueError("slip_share must be more than 0")
        if not 0 < self.plateau_drop_ratio < 1:
            raise ValueError("plateau_drop_ratio must be between 0 and 1")


RHYTHM_LOOKBACK_DAYS = 180
"""How far back a learner's usual rhythm (the median gap between active days) is read."""


def lookback_days(settings: StallSettings) -> int:
    """How many days of active days the rules read (momentum's eight weeks are within it)."""
    return max(RHYTHM_LOOKBACK_DAYS, 2 * settings.plateau_window_days)


@dataclass(frozen=True, slots=True)
class ItemActivity:
    """An opportunity the learner has worked on: when last, and where it falls for them (None if it is not
    an active opportunity)."""

    opportunity_id: int
    last_at: datetime
    quadrant: Quadrant | None = None


@dataclass(frozen=True, slots=True)
class Step:
    """A roadmap item as stall rules see it."""

    opportunity_id: int
    title: str
    quadrant: Quadrant
    planned_finish: date
    finished: bool = False
    due: date | None = None
    org_why: str = ""

    @property
    def mandatory(self) -> bool:
        """True for items everyone in the context must do."""
        return self.due is not None

    @property
    def deadline(self) -> date:
        """The date it should be done by: its due date if mandatory, else its planned finish."""
        return self.due if self.due is not None else self.planned_finish


@dataclass(frozen=True)
class Situation:
    """What is known of one learner in one context at the moment of evaluation (nothing later)."""

    learner_name: str
    known_since: datetime
    """When the learner joined the roster or first received a roadmap, whichever came first."""
    last_activity_at: datetime | None = None
    """The learner's last learning event, of any kind."""
    active_days: frozenset[date] = frozenset()
    """The days with any learning event, at least those within `lookback_days` of the moment."""
    items: tuple[ItemActivity, ...] = ()
    steps: tuple[Step, ...] = ()
    role_started_on: date | None = None
    baseline_start: date | None = None
    baseline_finish: date | None = None
    """Start and projected finish of the first version of the current roadmap."""
    projected_finish: date | None = None


def seen_activity(moments: Iterable[datetime], as_of: datetime) -> tuple[datetime | None, frozenset[date]]:
    """The last of the learning moments before `as_of`, and the days they fall on."""
    before = [moment for moment in moments if moment < as_of]
    return max(before, default=None), frozenset(moment.date() for moment in before)


@dataclass(frozen=True)
class Finding:
    """A rule that holds: the flag to raise, with its evidence and the suggested conversation."""

    rule: StallRule
    severity: Severity
    summary: Message
    evidence: Evidence
    action: Message


def evaluate(situation: Situation, settings: StallSettings, as_of: datetime) -> list[Finding]:
    """Every rule that holds for the learner at `as_of`, in a fixed order."""
    findings = [
        never_started(situation, settings, as_of),
        gone_quiet(situation, settings, as_of),
        behind_pace(situation, settings, as_of),
        plateau(situation, settings, as_of),
        uphill_avoidance(situation, settings, as_of),
    ]
    return [finding for finding in findings if finding is not None]


def never_started(s: Situation, settings: StallSettings, as_of: datetime) -> Finding | None:
    """Known for N days and no learning activity at all."""
    if s.last_activity_at is not None:
        return None
    days = (as_of - s.known_since).days
    if days < settings.never_started_days:
        return None
    first = _next_step(s)
    return Finding(
        rule=StallRule.NEVER_STARTED,
        severity=Severity.HIGH if days >= 2 * settings.never_started_days else Severity.MEDIUM,
        summary=sentences.NEVER_STARTED(learner=s.learner_name, days=days),
        evidence={"known_since": s.known_since.date().isoformat(), "days_without_activity": days},
        action=(
            sentences.ACTION_REVIEW_AGENDA_FIRST_STEP(learner=s.learner_name, title=first.title)
            if first
            else sentences.ACTION_REVIEW_AGENDA(learner=s.learner_name)
        ),
    )


def gone_quiet(s: Situation, settings: StallSettings, as_of: datetime) -> Finding | None:
    """No learning activity for N days, set beside the learner's own usual rhythm."""
    last = s.last_activity_at
    if last is None:
        return None
    days = (as_of - last).days
    if days < settings.quiet_days:
        return None
    rhythm = usual_gap_days(s.active_days, as_of)
    severity = Severity.HIGH if days >= 2 * settings.quiet_days else Severity.MEDIUM
    if rhythm is not None and days < 1.5 * rhythm:
        severity = Severity.LOW  # quiet spells this long are normal for this learner
    last_on = last.date()
    return Finding(
        rule=StallRule.GONE_QUIET,
        severity=severity,
        summary=(
            sentences.GONE_QUIET(days=days, last_on=last_on)
            if rhythm is None
            else sentences.GONE_QUIET_RHYTHM(days=days, last_on=last_on, rhythm=rhythm)
        ),
        evidence={
            "last_activity_on": last.date().isoformat(),
            "days_quiet": days,
            "usual_gap_days": rhythm,
            "threshold_days": settings.quiet_days,
        },
        action=_action_for_next_step(s),
    )


def behind_pace(s: Situation, settings: StallSettings, as_of: datetime) -> Finding | None:
    """Items overdue past the grace period, or the projected finish slipping by more than a share."""
    overdue = overdue_steps(s.steps, settings, as_of)
    slip = _slip(s)
    if not overdue and (slip is None or slip.share <= settings.slip_share):
        return None
    evidence: Evidence = {"overdue_items": len(overdue), "grace_days": settings.overdue_grace_days}
    if overdue:
        worst = overdue[0]
        late = (as_of.date() - worst.deadline).days
        evidence |= {"oldest_overdue": worst.title, "due_on": worst.deadline.isoformat(), "days_late": late}
        summary = sentences.BEHIND_OVERDUE(num=len(overdue), title=worst.title, due=worst.deadline)
        severity = Severity.HIGH if any(step.mandatory for step in overdue) else Severity.MEDIUM
        action = _action_for_step(s, worst)
    elif slip is not None:
        evidence |= {
            "planned_finish": slip.planned.isoformat(),
            "projected_finish": slip.projected.isoformat(),
            "slip_share": round(slip.share, 3),
        }
        summary = sentences.BEHIND_SLIP(planned=slip.planned, projected=slip.projected, share=round(slip.share, 3))
        severity = Severity.MEDIUM
        action = _action_for_next_step(s)
    return Finding(StallRule.BEHIND_PACE, severity, summary, evidence, action)


def overdue_steps(steps: Iterable[Step], settings: StallSettings, as_of: datetime) -> list[Step]:
    """The unfinished steps past their deadline and the grace period, oldest deadline first.

    Only when there are none does behind-pace look at the projected finish (`Situation.projected_finish`),
    so a caller may leave it out (and save working it out) when there are some.
    """
    today = as_of.date()
    grace = timedelta(days=settings.overdue_grace_days)
    return sorted(
        (step for step in steps if not step.finished and step.deadline + grace < today),
        key=lambda step: step.deadline,
    )


def plateau(s: Situation, settings: StallSettings, as_of: datetime) -> Finding | None:
    """Long in role, and active on fewer days lately than in the window before (learning slows).

    The windows are whole days: the last `plateau_window_days` up to today, and as many before them.
    """
    if s.role_started_on is None:
        return None
    tenure_days = (as_of.date() - s.role_started_on).days
    if tenure_days < settings.plateau_tenure_days:
        return None
    today = as_of.date()
    window = settings.plateau_window_days
    recent = _active_days(s.active_days, today, window)
    earlier = _active_days(s.active_days, today - timedelta(days=window), window)
    if earlier == 0 or recent >= settings.plateau_drop_ratio * earlier:
        return None
    years = tenure_days / 365.25
    return Finding(
        rule=StallRule.PLATEAU,
        severity=Severity.MEDIUM,
        summary=sentences.PLATEAU(
            since=s.role_started_on, recent=recent, before=earlier, window=settings.plateau_window_days
        ),
        evidence={
            "role_started_on": s.role_started_on.isoformat(),
            "years_in_role": round(years, 1),
            "active_days_recent": recent,
            "active_days_before": earlier,
            "window_days": settings.plateau_window_days,
        },
        action=sentences.ACTION_STRETCH(learner=s.learner_name),
    )


def uphill_avoidance(s: Situation, settings: StallSettings, as_of: datetime) -> Finding | None:
    """Active only on gifts while uphill or mandatory items wait: every opportunity worked on in the window
    is a gift for the learner."""
    since = as_of - timedelta(days=settings.avoidance_window_days)
    recent = [item for item in s.items if item.last_at >= since and item.quadrant is not None]
    if not recent or any(item.quadrant is not Quadrant.GIFT for item in recent):
        return None
    waiting = [step for step in s.steps if not step.finished and (step.mandatory or step.quadrant is Quadrant.UPHILL)]
    if not waiting:
        return None
    first = min(waiting, key=lambda step: step.deadline)
    return Finding(
        rule=StallRule.UPHILL_AVOIDANCE,
        severity=Severity.HIGH if first.mandatory else Severity.MEDIUM,
        summary=sentences.UPHILL_AVOIDANCE(
            activities=len(recent), days=settings.avoidance_window_days, num=len(waiting), title=first.title
        ),
        evidence={
            "gift_items": len(recent),
            "waiting_items": len(waiting),
            "first_waiting": first.title,
            "first_waiting_due": first.deadline.isoformat(),
        },
        action=_frame_why(first),
    )


def usual_gap_days(
    active_days: Iterable[date], as_of: datetime, lookback_days: int = RHYTHM_LOOKBACK_DAYS
) -> float | None:
    """The median number of days between active days over the lookback, or None with too few."""
    since = (as_of - timedelta(days=lookback_days)).date()
    days = sorted(day for day in active_days if day >= since)
    if len(days) < 3:
        return None
    return float(statistics.median((b - a).days for a, b in itertools.pairwise(days)))


def _active_days(active_days: frozenset[date], last: date, window_days: int) -> int:
    """How many of the `window_days` days ending with `last` were active."""
    first = last - timedelta(days=window_days)
    return sum(1 for day in active_days if first < day <= last)


@dataclass(frozen=True)
class _Slip:
    planned: date
    projected: date
    share: float


def _slip(s: Situation) -> _Slip | None:
    if not (s.baseline_start and s.baseline_finish and s.projected_finish):
        return None
    span = (s.baseline_finish - s.baseline_start).days
    if span <= 0:
        return None
    share = (s.projected_finish - s.baseline_finish).days / span
    return _Slip(s.baseline_finish, s.projected_finish, share)


def _next_step(s: Situation) -> Step | None:
    waiting = [step for step in s.steps if not step.finished]
    return min(waiting, key=lambda step: step.deadline) if waiting else None


def _action_for_next_step(s: Situation) -> Message:
    step = _next_step(s)
    if step is None:
        return sentences.ACTION_CHECK_IN(learner=s.learner_name)
    return _action_for_step(s, step)


def _action_for_step(s: Situation, step: Step) -> Message:
    if step.mandatory:
        return sentences.ACTION_AGREE_DATE(learner=s.learner_name, title=step.title, due=step.deadline)
    match step.quadrant:
        case Quadrant.UPHILL:
            return _frame_why(step)
        case Quadrant.SWEET_SPOT:
            return sentences.ACTION_WHAT_BLOCKS(learner=s.learner_name, title=step.title)
        case _:
            return sentences.ACTION_STILL_FITS(learner=s.learner_name, title=step.title)


def _frame_why(step: Step) -> Message:
    if step.org_why:
        return sentences.ACTION_FRAME_WHY(title=step.title, why=step.org_why)
    return sentences.ACTION_FRAME_MISSING_WHY(title=step.title)
