"""Each stall rule at its threshold, with its evidence and suggested action, on a fixed clock."""

from datetime import UTC, datetime, timedelta

import pytest

from alignment.rules.quadrants import Quadrant
from alignment.rules.stalls import (
    ItemActivity,
    Severity,
    Situation,
    StallRule,
    StallSettings,
    Step,
    evaluate,
    lookback_days,
    seen_activity,
    usual_gap_days,
)
from alignment.sentences import english

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
RULES = StallSettings()
WHY = "Every client report moves to the new platform in Q1."


def days_ago(n: float) -> datetime:
    return NOW - timedelta(days=n)


def situation(activity: tuple[datetime, ...] = (), **fields: object) -> Situation:
    """A situation at NOW with learning events at the moments of `activity` (those after NOW not yet seen)."""
    last, days = seen_activity(activity, NOW)
    base: dict[str, object] = {
        "learner_name": "Ana",
        "known_since": days_ago(400),
        "last_activity_at": last,
        "active_days": days,
    }
    return Situation(**(base | fields))  # type: ignore[arg-type]


def rules_of(s: Situation, settings: StallSettings = RULES) -> dict[StallRule, Severity]:
    return {f.rule: f.severity for f in evaluate(s, settings, NOW)}


def step(id: int, quadrant: Quadrant, finish_days: int, **fields: object) -> Step:
    return Step(
        opportunity_id=id,
        title=f"Course {id}",
        quadrant=quadrant,
        planned_finish=TODAY + timedelta(days=finish_days),
        **fields,  # type: ignore[arg-type]
    )


# --- never started --------------------------------------------------------------------------------------


def test_never_started_after_the_threshold() -> None:
    assert StallRule.NEVER_STARTED not in rules_of(situation(known_since=days_ago(13.9)))
    assert rules_of(situation(known_since=days_ago(14))) == {StallRule.NEVER_STARTED: Severity.MEDIUM}
    assert rules_of(situation(known_since=days_ago(28)))[StallRule.NEVER_STARTED] is Severity.HIGH


def test_never_started_suggests_checking_the_roadmap_fits() -> None:
    s = situation(known_since=days_ago(20), steps=(step(1, Quadrant.SWEET_SPOT, 10),))
    (finding,) = evaluate(s, RULES, NOW)
    assert finding.evidence == {"known_since": days_ago(20).date().isoformat(), "days_without_activity": 20}
    assert english(finding.action).startswith("Check the roadmap is relevant to Ana")
    assert "“Course 1”" in english(finding.action)


def test_any_activity_means_started() -> None:
    assert StallRule.NEVER_STARTED not in rules_of(situation(activity=(days_ago(1),)))


# --- gone quiet -----------------------------------------------------------------------------------------


def test_gone_quiet_at_fourteen_days() -> None:
    assert StallRule.GONE_QUIET not in rules_of(situation(activity=(days_ago(13.5),)))
    assert rules_of(situation(activity=(days_ago(14),))) == {StallRule.GONE_QUIET: Severity.MEDIUM}
    assert rules_of(situation(activity=(days_ago(28),)))[StallRule.GONE_QUIET] is Severity.HIGH


def test_gone_quiet_shows_the_learners_usual_rhythm_and_is_low_when_that_is_normal() -> None:
    monthly = tuple(days_ago(16 + 20 * k) for k in range(6))
    (finding,) = evaluate(situation(activity=monthly), RULES, NOW)
    assert finding.evidence["usual_gap_days"] == 20.0
    assert finding.severity is Severity.LOW
    assert "usually active every 20 days" in english(finding.summary)


def test_gone_quiet_on_a_sweet_spot_item_asks_what_blocks() -> None:
    s = situation(activity=(days_ago(15),), steps=(step(1, Quadrant.SWEET_SPOT, 30),))
    (finding,) = evaluate(s, RULES, NOW)
    assert english(finding.action).startswith("Ask Ana what blocks “Course 1”")


def test_gone_quiet_on_an_uphill_item_frames_the_why() -> None:
    s = situation(activity=(days_ago(15),), steps=(step(1, Quadrant.UPHILL, 30, org_why=WHY),))
    (finding,) = evaluate(s, RULES, NOW)
    assert english(finding.action) == f"Frame the strategic why of “Course 1”: {WHY}"


def test_usual_gap_needs_at_least_three_active_days() -> None:
    assert usual_gap_days([days_ago(3).date(), days_ago(1).date()], NOW) is None


# --- behind pace ----------------------------------------------------------------------------------------


def test_behind_pace_only_after_the_grace_period() -> None:
    recent = (days_ago(1),)
    on_grace = situation(activity=recent, steps=(step(1, Quadrant.SWEET_SPOT, -7),))
    past_grace = situation(activity=recent, steps=(step(1, Quadrant.SWEET_SPOT, -8),))
    assert StallRule.BEHIND_PACE not in rules_of(on_grace)
    assert rules_of(past_grace) == {StallRule.BEHIND_PACE: Severity.MEDIUM}


def test_overdue_mandatory_item_is_high_and_asks_for_a_date() -> None:
    s = situation(
        activity=(days_ago(1),),
        steps=(step(1, Quadrant.WASTE, 20, due=TODAY - timedelta(days=10)),),
    )
    (finding,) = evaluate(s, RULES, NOW)
    assert finding.severity is Severity.HIGH
    assert finding.evidence["days_late"] == 10
    assert english(finding.action).startswith("Agree a date with Ana for “Course 1”")


def test_finished_items_are_never_overdue() -> None:
    s = situation(activity=(days_ago(1),), steps=(step(1, Quadrant.UPHILL, -30, finished=True),))
    assert rules_of(s) == {}


def test_projected_finish_slipping_more_than_the_share() -> None:
    base = {
        "activity": (days_ago(1),),
        "baseline_start": TODAY - timedelta(days=40),
        "baseline_finish": TODAY + timedelta(days=60),
    }
    assert rules_of(situation(**base, projected_finish=TODAY + timedelta(days=85))) == {}
    slipped = situation(**base, projected_finish=TODAY + timedelta(days=86))
    (finding,) = evaluate(slipped, RULES, NOW)
    assert finding.rule is StallRule.BEHIND_PACE
    assert finding.evidence["slip_share"] == 0.26


# --- plateau --------------------------------------------------------------------------------------------


def active_days(start_days_ago: int, count: int) -> tuple[datetime, ...]:
    return tuple(days_ago(start_days_ago - k) for k in range(count))


def test_plateau_needs_two_years_in_role_and_activity_halving() -> None:
    activity = active_days(170, 10) + active_days(4, 4)
    two_years = TODAY - timedelta(days=730)
    assert rules_of(situation(activity=activity, role_started_on=two_years + timedelta(days=1))) == {}
    (finding,) = evaluate(situation(activity=activity, role_started_on=two_years), RULES, NOW)
    assert finding.rule is StallRule.PLATEAU
    assert finding.evidence["active_days_recent"] == 4
    assert finding.evidence["active_days_before"] == 10
    assert english(finding.action).startswith("Discuss a stretch assignment with Ana")


def test_no_plateau_when_activity_is_exactly_half() -> None:
    activity = active_days(170, 10) + active_days(5, 5)
    s = situation(activity=activity, role_started_on=TODAY - timedelta(days=1000))
    assert StallRule.PLATEAU not in rules_of(s)


def test_plateau_windows_are_whole_days_ending_today() -> None:
    # The last 90 days (89 days ago to today) and the 90 before (179 to 90 days ago), counted by day.
    earlier = tuple(days_ago(90 + k) for k in range(10))
    activity = (*earlier, days_ago(179), days_ago(180), days_ago(89), days_ago(1))
    (finding,) = evaluate(situation(activity=activity, role_started_on=TODAY - timedelta(days=800)), RULES, NOW)
    assert (finding.evidence["active_days_recent"], finding.evidence["active_days_before"]) == (2, 11)


def test_the_rules_read_active_days_within_their_lookback() -> None:
    assert lookback_days(RULES) == 180
    assert lookback_days(StallSettings(plateau_window_days=120)) == 240


def test_no_plateau_without_a_known_start_in_role() -> None:
    assert rules_of(situation(activity=active_days(170, 10) + active_days(5, 1))) == {}


# --- uphill avoidance -----------------------------------------------------------------------------------


def test_only_gifts_while_uphill_waits_is_avoidance() -> None:
    s = situation(
        activity=(days_ago(2), days_ago(5)),
        items=(ItemActivity(9, days_ago(2), Quadrant.GIFT), ItemActivity(8, days_ago(5), Quadrant.GIFT)),
        steps=(step(1, Quadrant.UPHILL, 30, org_why=WHY),),
    )
    (finding,) = evaluate(s, RULES, NOW)
    assert finding.rule is StallRule.UPHILL_AVOIDANCE
    assert finding.evidence["gift_items"] == 2
    assert english(finding.summary).startswith("Every item worked on in the last 30 days (2 in all) was a gift")
    assert english(finding.action) == f"Frame the strategic why of “Course 1”: {WHY}"


def test_one_item_of_the_roadmap_worked_on_is_not_avoidance() -> None:
    s = situation(
        activity=(days_ago(2), days_ago(3)),
        items=(ItemActivity(9, days_ago(2), Quadrant.GIFT), ItemActivity(1, days_ago(3), Quadrant.UPHILL)),
        steps=(step(1, Quadrant.UPHILL, 30),),
    )
    assert rules_of(s) == {}


def test_avoidance_looks_at_what_was_worked_on_within_the_window_only() -> None:
    uphill_long_ago = ItemActivity(1, days_ago(30) - timedelta(seconds=1), Quadrant.UPHILL)
    gift_at_the_edge = ItemActivity(9, days_ago(30), Quadrant.GIFT)
    s = situation(
        activity=(days_ago(30),), items=(uphill_long_ago, gift_at_the_edge), steps=(step(1, Quadrant.UPHILL, 30),)
    )
    assert rules_of(s) == {StallRule.UPHILL_AVOIDANCE: Severity.MEDIUM, StallRule.GONE_QUIET: Severity.HIGH}


def test_work_outside_the_catalogue_is_not_avoidance() -> None:
    s = situation(activity=(days_ago(2),), items=(ItemActivity(9, days_ago(2)),), steps=(step(1, Quadrant.UPHILL, 30),))
    assert rules_of(s) == {}


def test_gifts_with_nothing_uphill_waiting_are_fine() -> None:
    s = situation(
        activity=(days_ago(2),),
        items=(ItemActivity(9, days_ago(2), Quadrant.GIFT),),
        steps=(step(1, Quadrant.SWEET_SPOT, 30),),
    )
    assert rules_of(s) == {}


# --- back-testing and settings --------------------------------------------------------------------------


def test_activity_after_as_of_is_ignored() -> None:
    s = situation(known_since=days_ago(30), activity=(NOW + timedelta(hours=1),))
    assert StallRule.NEVER_STARTED in rules_of(s)


def test_tenant_settings_change_thresholds() -> None:
    s = situation(activity=(days_ago(8),))
    assert rules_of(s, StallSettings(quiet_days=7)) == {StallRule.GONE_QUIET: Severity.MEDIUM}


@pytest.mark.parametrize(
    "bad", [{"quiet_days": 0}, {"overdue_grace_days": -1}, {"slip_share": 0}, {"plateau_drop_ratio": 1}]
)
def test_nonsense_settings_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=next(iter(bad))):
        StallSettings(**bad)  # type: ignore[arg-type]
