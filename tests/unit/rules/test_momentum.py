"""Momentum ranks who needs attention, and is explained by its parts."""

from datetime import UTC, datetime, timedelta

from alignment.rules.momentum import momentum
from alignment.rules.quadrants import Quadrant
from alignment.rules.stalls import Situation, StallSettings, Step, seen_activity

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
RULES = StallSettings()


def weekly_activity(weeks: int, last_days_ago: int = 1) -> tuple[datetime, ...]:
    return tuple(NOW - timedelta(days=last_days_ago + 7 * k) for k in range(weeks))


def roadmap(finished: int, due_so_far: int, later: int) -> tuple[Step, ...]:
    past = [
        Step(i, f"Past {i}", Quadrant.SWEET_SPOT, TODAY - timedelta(days=10 + i), finished=i < finished)
        for i in range(due_so_far)
    ]
    future = [Step(100 + i, f"Later {i}", Quadrant.UPHILL, TODAY + timedelta(days=30)) for i in range(later)]
    return tuple(past + future)


def situation(activity: tuple[datetime, ...], steps: tuple[Step, ...]) -> Situation:
    last, days = seen_activity(activity, NOW)
    return Situation(
        learner_name="Ana",
        known_since=NOW - timedelta(days=200),
        last_activity_at=last,
        active_days=days,
        steps=steps,
    )


def test_steady_learner_on_pace_scores_high() -> None:
    result = momentum(situation(weekly_activity(8), roadmap(2, 2, 2)), RULES, NOW)
    assert result.score == 93  # 35 + 25 + 25 + 15 × 2/4


def test_nothing_at_all_scores_zero_apart_from_nothing_due() -> None:
    result = momentum(situation((), ()), RULES, NOW)
    assert result.score == 25
    assert "no learning activity yet" in result.explain()


def test_quiet_and_behind_scores_below_active_and_on_pace() -> None:
    active = momentum(situation(weekly_activity(6), roadmap(2, 3, 1)), RULES, NOW)
    quiet = momentum(situation(weekly_activity(2, last_days_ago=20), roadmap(0, 3, 1)), RULES, NOW)
    assert quiet.score < active.score


def test_recency_fades_to_nothing_at_twice_the_quiet_threshold() -> None:
    at_limit = momentum(situation((NOW - timedelta(days=28),), ()), RULES, NOW)
    recency = next(p for p in at_limit.parts if p.name == "recency")
    assert recency.value == 0.0
    assert recency.detail == "last active 28 days ago"


def test_parts_explain_the_score() -> None:
    result = momentum(situation(weekly_activity(4), roadmap(1, 2, 0)), RULES, NOW)
    assert [p.name for p in result.parts] == ["recency", "consistency", "pace", "progress"]
    assert round(sum(p.weight for p in result.parts), 6) == 1.0
    assert abs(result.score - 100 * sum(p.value * p.weight for p in result.parts)) <= 0.5
    assert "1 of 2 items due by now finished" in result.explain()


def test_activity_after_as_of_does_not_count() -> None:
    future_only = (NOW + timedelta(days=1),)
    assert momentum(situation(future_only, ()), RULES, NOW).score == 25


def test_consistency_counts_the_eight_weeks_of_days_ending_today() -> None:
    edge = momentum(situation((NOW - timedelta(days=55),), ()), RULES, NOW)
    beyond = momentum(situation((NOW - timedelta(days=56),), ()), RULES, NOW)
    assert next(p for p in edge.parts if p.name == "consistency").detail == "active in 1 of the last 8 weeks"
    assert next(p for p in beyond.parts if p.name == "consistency").detail == "active in 0 of the last 8 weeks"
