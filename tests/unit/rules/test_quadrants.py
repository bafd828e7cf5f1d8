"""Placing opportunities in the four quadrants, with the skills that put them there."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alignment.rules.quadrants import Interest, Need, OrgNeed, Quadrant, Thresholds, align, side_value
from alignment.sentences import english

PYTHON, SQL, SWAHILI, EXCEL = 1, 2, 3, 4
NAMES = {PYTHON: "Python", SQL: "SQL", SWAHILI: "Swahili", EXCEL: "Excel"}
WHY = "We are moving every report to the new data platform this year."


def place(weights: dict[int, float], interests: dict[int, Interest], needs: dict[int, OrgNeed]) -> Quadrant:
    return align(weights, NAMES, interests, needs, Thresholds()).quadrant


def test_wanted_and_needed_is_the_sweet_spot() -> None:
    result = align(
        {PYTHON: 1.0},
        NAMES,
        {PYTHON: Interest.TOP_PRIORITY},
        {PYTHON: OrgNeed(Need.CRITICAL, WHY)},
        Thresholds(),
    )
    assert result.quadrant is Quadrant.SWEET_SPOT
    assert result.personal_value == 1.0
    assert result.org_value == 1.0
    assert english(result.explain()) == "You want Python (top priority), and the organisation needs Python (critical)."


def test_needed_but_not_wanted_is_uphill_and_carries_the_why() -> None:
    result = align({SQL: 1.0}, NAMES, {SQL: Interest.NOT_FOR_ME}, {SQL: OrgNeed(Need.IMPORTANT, WHY)}, Thresholds())
    assert result.quadrant is Quadrant.UPHILL
    assert result.org_whys == (WHY,)
    assert english(result.explain()) == f"The organisation needs SQL (important). Why: {WHY}"


def test_wanted_but_not_needed_is_a_gift() -> None:
    assert place({SWAHILI: 1.0}, {SWAHILI: Interest.WANT}, {}) is Quadrant.GIFT


def test_neither_is_waste() -> None:
    assert place({EXCEL: 1.0}, {EXCEL: Interest.CURIOUS}, {EXCEL: OrgNeed(Need.USEFUL)}) is Quadrant.WASTE


def test_untagged_opportunity_is_waste_with_no_drivers() -> None:
    result = align({}, NAMES, {PYTHON: Interest.WANT}, {PYTHON: OrgNeed(Need.CRITICAL, WHY)}, Thresholds())
    assert result.quadrant is Quadrant.WASTE
    assert result.personal_drivers == result.org_drivers == ()


@pytest.mark.parametrize(
    ("interest", "wanted"),
    [
        (Interest.NOT_FOR_ME, False),
        (Interest.CURIOUS, False),
        (Interest.WANT, True),
        (Interest.TOP_PRIORITY, True),
    ],
)
def test_default_threshold_needs_want_or_more_for_a_single_skill(interest: Interest, wanted: bool) -> None:
    quadrant = place({PYTHON: 1.0}, {PYTHON: interest}, {})
    assert (quadrant is Quadrant.GIFT) is wanted


def test_value_exactly_at_the_threshold_counts() -> None:
    # Weight 3:1 with WANT (2/3) on the first skill gives exactly 0.5.
    result = align({PYTHON: 3.0, SQL: 1.0}, NAMES, {PYTHON: Interest.WANT}, {}, Thresholds(personal=0.5))
    assert result.personal_value == 0.5
    assert result.quadrant is Quadrant.GIFT


def test_weights_decide_which_skill_drives_the_value() -> None:
    result = align(
        {PYTHON: 0.8, SWAHILI: 0.2},
        NAMES,
        {PYTHON: Interest.WANT, SWAHILI: Interest.TOP_PRIORITY},
        {},
        Thresholds(),
    )
    assert [d.skill_name for d in result.personal_drivers] == ["Python", "Swahili"]
    assert result.personal_value == pytest.approx(0.8 * 2 / 3 + 0.2 * 1)


def test_tenant_thresholds_move_the_boundary() -> None:
    needs = {SQL: OrgNeed(Need.USEFUL)}
    assert align({SQL: 1.0}, NAMES, {}, needs, Thresholds()).quadrant is Quadrant.WASTE
    assert align({SQL: 1.0}, NAMES, {}, needs, Thresholds(org=0.3)).quadrant is Quadrant.UPHILL


@pytest.mark.parametrize("bad", [0.0, -0.1, 1.5])
def test_threshold_outside_zero_to_one_is_refused(bad: float) -> None:
    with pytest.raises(ValueError, match="threshold must be in"):
        Thresholds(personal=bad)


@settings(max_examples=300, deadline=None)
@given(
    weights=st.dictionaries(st.integers(1, 6), st.sampled_from([0.0, 0.1, 0.2, 0.25, 0.3, 0.5, 0.75, 1.0]), max_size=5),
    interests=st.dictionaries(st.integers(1, 6), st.sampled_from(list(Interest)), max_size=6),
    needs=st.dictionaries(st.integers(1, 6), st.sampled_from(list(Need)), max_size=6),
)
def test_side_value_is_exactly_the_value_align_decides_on(
    weights: dict[int, float], interests: dict[int, Interest], needs: dict[int, Need]
) -> None:
    names = {skill: f"skill {skill}" for skill in range(1, 7)}
    result = align(weights, names, interests, {s: OrgNeed(n, "why") for s, n in needs.items()}, Thresholds())
    personal = side_value(weights, {s: int(i) for s, i in interests.items()})
    org = side_value(weights, {s: int(n) for s, n in needs.items()})
    assert (round(personal, 6), round(org, 6)) == (result.personal_value, result.org_value)
    assert (personal >= 0.5, org >= 0.5) == (
        result.quadrant in (Quadrant.SWEET_SPOT, Quadrant.GIFT),
        result.quadrant in (Quadrant.SWEET_SPOT, Quadrant.UPHILL),
    )
