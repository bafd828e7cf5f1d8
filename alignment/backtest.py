"""Back-testing: replay a tenant's stored history and measure how early and how precisely each rule warns.

Every step re-evaluates the rules as they would have stood at that moment (agendas, roadmaps and events
from before it only) and compares the warnings with a file of known outcomes: who left, and when.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from alignment.database import UnitOfWork
from alignment.errors import InvalidInput
from alignment.people import ContextRecord
from alignment.rules.momentum import momentum
from alignment.rules.scoring import Observation, SignalScore, score_signal
from alignment.rules.stalls import StallRule, evaluate
from alignment.snapshots import learner_situation, load_catalogue, load_snapshot

MOMENTUM_ALERT_BELOW = 25
"""A momentum under this counts as a warning when scoring momentum like a rule."""


@dataclass(frozen=True)
class Outcome:
    """What became of a learner: left (on a date, if known) or stayed, as known until a date."""

    left: bool
    left_on: date | None = None
    observed_until: date | None = None
    """Warnings after this day say nothing about the outcome (the course ended, say) and are ignored."""


@dataclass(frozen=True)
class BacktestReport:
    """How each signal would have done over the period."""

    start: datetime
    end: datetime
    step_days: int
    learners: int
    left: int
    stayed: int
    unlabelled: int
    signals: tuple[SignalScore, ...]
    horizon_days: int
    step_signals: tuple[SignalScore, ...]
    """Scored over learner-steps: firing now versus leaving within `horizon_days`."""
    steps: int


def parse_labels_csv(text: str) -> dict[str, Outcome]:
    """Outcomes from CSV: `learner_id` (the LMS user id), `outcome` (left|stayed), optional `left_on` and
    `observed_until` dates."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = {"learner_id", "outcome"} - set(reader.fieldnames or [])
    if missing:
        raise InvalidInput(f"labels file lacks column(s): {', '.join(sorted(missing))}")
    outcomes: dict[str, Outcome] = {}
    for line, row in enumerate(reader, start=2):
        learner, outcome = (row.get("learner_id") or "").strip(), (row.get("outcome") or "").strip().lower()
        if not learner:
            raise InvalidInput(f"line {line}: learner_id is empty")
        if outcome not in ("left", "stayed"):
            raise InvalidInput(f"line {line}: outcome must be left or stayed, got {outcome!r}")
        left_on = _date(row, "left_on", line)
        outcomes[learner] = Outcome(
            outcome == "left", left_on if outcome == "left" else None, _date(row, "observed_until", line)
        )
    return outcomes


def _date(row: dict[str, str], column: str, line: int) -> date | None:
    value = (row.get(column) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"line {line}: {column} must be a date like 2026-11-23") from None


def backtest(
    uow: UnitOfWork,
    tenant_id: int,
    start: datetime,
    end: datetime,
    labels: dict[str, Outcome],
    step_days: int = 7,
    horizon_days: int = 28,
) -> BacktestReport:
    """Replay the tenant's history from `start` to `end` every `step_days` and score each signal.

    Two views: per learner (did a signal ever fire before they left, and how early), and per
    learner-step (is the signal firing now, and does the learner leave within `horizon_days`). The
    second is not biased by how long each learner was observed.
    """
    if end <= start:
        raise InvalidInput("the back-test must end after it starts")
    if step_days < 1:
        raise InvalidInput("step_days must be at least 1")
    first_fired: dict[tuple[int, int], dict[str, date]] = defaultdict(dict)
    lowest_momentum: dict[tuple[int, int], int] = {}
    learner_ids: dict[tuple[int, int], str] = {}
    steps: list[tuple[frozenset[str], int, bool]] = []
    contexts = list(uow.session.scalars(select(ContextRecord.id).where(ContextRecord.tenant_id == tenant_id)))
    catalogue = load_catalogue(uow, tenant_id)
    moment = start
    while moment <= end:
        for context_id in contexts:
            snapshot = load_snapshot(uow, tenant_id, context_id, moment, catalogue=catalogue)
            for member in snapshot.members:
                key = (member.person.id, context_id)
                outcome = labels.get(member.person.lms_user_id or "")
                if outcome and outcome.left_on and moment.date() >= outcome.left_on:
                    continue  # only warnings given before someone left count
                if outcome and outcome.observed_until and moment.date() > outcome.observed_until:
                    continue
                learner_ids[key] = member.person.lms_user_id or ""
                situation = learner_situation(snapshot, member.person.id)
                fired = {f.rule.value for f in evaluate(situation, snapshot.policy.stall, moment)}
                if fired:
                    fired.add("any_rule")
                score = momentum(situation, snapshot.policy.stall, moment).score
                lowest_momentum[key] = min(score, lowest_momentum.get(key, 100))
                if score < MOMENTUM_ALERT_BELOW:
                    fired.add("momentum")
                for name in fired:
                    first_fired[key].setdefault(name, moment.date())
                if outcome is not None:
                    soon = outcome.left_on is not None and (outcome.left_on - moment.date()).days <= horizon_days
                    steps.append((frozenset(fired), score, outcome.left and soon))
        moment += timedelta(days=step_days)

    labelled = {key: labels[lms] for key, lms in learner_ids.items() if lms in labels}
    signals = [*(rule.value for rule in StallRule), "any_rule", "momentum"]
    scores = []
    for name in signals:
        observations = []
        for key, outcome in labelled.items():
            fired_on = first_fired[key].get(name)
            risk = float(100 - lowest_momentum[key]) if name == "momentum" else float(fired_on is not None)
            warning = None
            if outcome.left_on is not None and fired_on is not None:
                warning = (outcome.left_on - fired_on).days
            observations.append(Observation(outcome.left, risk, warning))
        threshold = 100 - MOMENTUM_ALERT_BELOW + 1 if name == "momentum" else 1.0
        scores.append(score_signal(name, observations, threshold))
    weekly = []
    for name in signals:
        observations = [
            Observation(leaves_soon, float(100 - score) if name == "momentum" else float(name in fired))
            for fired, score, leaves_soon in steps
        ]
        threshold = 100 - MOMENTUM_ALERT_BELOW + 1 if name == "momentum" else 1.0
        weekly.append(score_signal(name, observations, threshold))
    left = sum(1 for o in labelled.values() if o.left)
    return BacktestReport(
        start=start,
        end=end,
        step_days=step_days,
        learners=len(learner_ids),
        left=left,
        stayed=len(labelled) - left,
        unlabelled=len(learner_ids) - len(labelled),
        signals=tuple(scores),
        horizon_days=horizon_days,
        step_signals=tuple(weekly),
        steps=len(steps),
    )


def report_markdown(report: BacktestReport, title: str) -> str:
    """The report as a Markdown table, for committing beside the data it came from."""
    lines = [
        f"# {title}",
        "",
        f"Replayed {report.start.date().isoformat()} to {report.end.date().isoformat()} every "
        f"{report.step_days} day{'s' if report.step_days != 1 else ''}: {report.learners} learners, "
        f"{report.left} left, {report.stayed} stayed, {report.unlabelled} without a label.",
        "",
        "## Learner by learner: ever flagged before leaving",
        "",
        "| signal | flagged who left | flagged who stayed | missed | precision | recall | ROC AUC "
        "| median days of warning |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in report.signals:
        lines.append(
            f"| {s.name} | {s.true_positives} | {s.false_positives} | {s.false_negatives} | {_pct(s.precision)} | "
            f"{_pct(s.recall)} | {_num(s.roc_auc)} | {_num(s.median_warning_days, 0)} |"
        )
    lines += [
        "",
        f"## Step by step: firing now, and leaving within {report.horizon_days} days",
        "",
        f"{report.steps} learner-steps; a step counts as positive when the learner left within "
        f"{report.horizon_days} days of it. This view does not favour learners observed for longer.",
        "",
        "| signal | firing, left soon | firing, did not | not firing, left soon | precision | recall | ROC AUC |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for s in report.step_signals:
        lines.append(
            f"| {s.name} | {s.true_positives} | {s.false_positives} | {s.false_negatives} | {_pct(s.precision)} | "
            f"{_pct(s.recall)} | {_num(s.roc_auc)} |"
        )
    lines += [
        "",
        f"`momentum` counts as a warning when the score is below {MOMENTUM_ALERT_BELOW}; its ROC AUC ranks "
        "learners by their lowest momentum before they left (or over the period, for those who stayed), and "
        "steps by the momentum at that step.",
    ]
    return "\n".join(lines) + "\n"


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _num(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"
