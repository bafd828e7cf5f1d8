"""Planning a learner's roadmap: what goes on it, in what order, on which dates."""

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alignment.messages import Message, verbatim
from alignment.rules.planning import (
    Candidate,
    Plan,
    PrerequisiteCycle,
    plan_roadmap,
    plannable,
    projected_finish,
)
from alignment.rules.quadrants import Quadrant
from alignment.sentences import english

MONDAY = date(2026, 11, 23)


def candidate(
    id: int,
    quadrant: Quadrant,
    hours: float = 2.0,
    *,
    personal: float = 0.0,
    org: float = 0.0,
    due: date | None = None,
    needs: tuple[int, ...] = (),
    done: float = 0.0,
    finished: bool = False,
    why: str = "",
) -> Candidate:
    return Candidate(
        opportunity_id=id,
        title=f"item {id}",
        effort_hours=hours,
        quadrant=quadrant,
        personal_value=personal,
        org_value=org,
        explanation=verbatim(f"because of {id}"),
        org_why=why,
        mandatory_due=due,
        prerequisites=frozenset(needs),
        done_fraction=done,
        finished=finished,
    )


def ids(plan: Plan) -> list[int]:
    return [item.opportunity_id for item in plan.items]


def test_order_is_mandatory_then_sweet_spot_then_uphill_and_never_waste() -> None:
    plan = plan_roadmap(
        [
            candidate(1, Quadrant.UPHILL, org=0.9, why="Regulators ask for it."),
            candidate(2, Quadrant.SWEET_SPOT, personal=0.6, org=0.6),
            candidate(3, Quadrant.WASTE),
            candidate(4, Quadrant.SWEET_SPOT, personal=1.0, org=0.9),
            candidate(5, Quadrant.WASTE, due=date(2027, 1, 31)),
            candidate(6, Quadrant.UPHILL, due=date(2026, 12, 15)),
        ],
        today=MONDAY,
        weekly_hours=2,
    )
    assert ids(plan) == [6, 5, 4, 2, 1]
    # Waste is not listed as left out: nobody can act on it, and it is most of a large catalogue.
    assert plan.left_out == ()
    assert plan.items[-1].org_why == "Regulators ask for it."
    assert english(plan.items[0].reason) == "Mandatory for everyone here, due 2026-12-15."


def test_gifts_are_left_out_when_the_tenant_gives_no_gift_budget() -> None:
    plan = plan_roadmap([candidate(1, Quadrant.GIFT, personal=1.0)], today=MONDAY, weekly_hours=2)
    assert plan.items == ()
    assert "gift budget of 0 h a quarter" in english(plan.left_out[0].reason)


def test_gifts_fit_within_the_budget_of_the_quarter() -> None:
    gifts = [candidate(i, Quadrant.GIFT, hours=3, personal=1 - i / 10) for i in (1, 2, 3)]
    plan = plan_roadmap(gifts, today=MONDAY, weekly_hours=2, gift_budget_hours_per_quarter=6)
    assert ids(plan) == [1, 2]
    assert [left.opportunity_id for left in plan.left_out] == [3]


def test_prerequisites_come_first_even_when_ranked_lower() -> None:
    plan = plan_roadmap(
        [
            candidate(1, Quadrant.SWEET_SPOT, personal=1, org=1, needs=(2,)),
            candidate(2, Quadrant.UPHILL, org=0.6, needs=(3,)),
            candidate(3, Quadrant.WASTE),
        ],
        today=MONDAY,
        weekly_hours=2,
    )
    assert ids(plan) == [3, 2, 1]
    assert english(plan.items[0].reason) == "Needed before “item 1”."
    assert plan.left_out == ()


def test_finished_prerequisites_are_not_planned_again() -> None:
    plan = plan_roadmap(
        [
            candidate(1, Quadrant.SWEET_SPOT, personal=1, org=1, needs=(2,)),
            candidate(2, Quadrant.UPHILL, finished=True),
        ],
        today=MONDAY,
        weekly_hours=2,
    )
    assert ids(plan) == [1]


def test_prerequisites_checked_by_the_caller_are_not_checked_again() -> None:
    chain = [
        candidate(1, Quadrant.SWEET_SPOT, personal=1, org=1, needs=(2,)),
        candidate(2, Quadrant.UPHILL, needs=(3,)),
        candidate(3, Quadrant.UPHILL),
    ]
    checked = plan_roadmap(chain, today=MONDAY, weekly_hours=2, prerequisites_checked=True)
    assert checked == plan_roadmap(chain, today=MONDAY, weekly_hours=2)
    looped = [*chain[:2], candidate(3, Quadrant.UPHILL, needs=(1,))]
    with pytest.raises(PrerequisiteCycle):
        plan_roadmap(looped, today=MONDAY, weekly_hours=2)
    assert ids(plan_roadmap(looped, today=MONDAY, weekly_hours=2, prerequisites_checked=True)) == [3, 2, 1]


def test_a_cycle_of_prerequisites_is_refused_by_name() -> None:
    with pytest.raises(PrerequisiteCycle, match="1 → 2 → 3 → 1"):
        plan_roadmap(
            [
                candidate(1, Quadrant.SWEET_SPOT, needs=(2,)),
                candidate(2, Quadrant.SWEET_SPOT, needs=(3,)),
                candidate(3, Quadrant.SWEET_SPOT, needs=(1,)),
            ],
            today=MONDAY,
            weekly_hours=2,
        )


def test_dates_follow_the_learners_weekly_hours() -> None:
    plan = plan_roadmap(
        [
            candidate(1, Quadrant.SWEET_SPOT, hours=4, personal=1, org=1),
            candidate(2, Quadrant.UPHILL, hours=1, org=1),
        ],
        today=MONDAY,
        weekly_hours=2,
    )
    first, second = plan.items
    assert (first.start, first.finish) == (MONDAY, MONDAY + timedelta(days=13))
    assert (second.start, second.finish) == (MONDAY + timedelta(days=14), MONDAY + timedelta(days=17))
    assert plan.projected_finish == MONDAY + timedelta(days=17)


def test_partial_progress_shortens_the_remaining_work() -> None:
    plan = plan_roadmap(
        [candidate(1, Quadrant.SWEET_SPOT, hours=10, personal=1, org=1, done=0.75)],
        today=MONDAY,
        weekly_hours=5,
    )
    assert plan.items[0].hours == 2.5


def test_mandatory_item_planned_past_its_due_date_is_at_risk() -> None:
    plan = plan_roadmap(
        [candidate(1, Quadrant.UPHILL, hours=10, due=MONDAY + timedelta(days=7))],
        today=MONDAY,
        weekly_hours=2,
    )
    assert plan.items[0].at_risk


@pytest.mark.parametrize("hours", [0, -1])
def test_weekly_hours_must_be_positive(hours: float) -> None:
    with pytest.raises(ValueError, match="weekly hours must be more than 0"):
        plan_roadmap([], today=MONDAY, weekly_hours=hours)


# --- invariants over any input ------------------------------------------------------------------------


@st.composite
def candidate_sets(draw: st.DrawFn) -> list[Candidate]:
    count = draw(st.integers(min_value=0, max_value=12))
    result = []
    for id in range(count):
        # Prerequisites only point to lower ids, so there is never a cycle.
        needs = draw(st.sets(st.integers(min_value=0, max_value=id - 1), max_size=3)) if id else set()
        due = draw(st.none() | st.dates(min_value=MONDAY, max_value=MONDAY + timedelta(days=400)))
        result.append(
            candidate(
                id,
                draw(st.sampled_from(list(Quadrant))),
                hours=draw(st.floats(min_value=0.25, max_value=40)),
                personal=draw(st.floats(min_value=0, max_value=1)),
                org=draw(st.floats(min_value=0, max_value=1)),
                due=due,
                needs=tuple(needs),
                done=draw(st.sampled_from([0.0, 0.0, 0.5])),
                finished=draw(st.booleans()) and draw(st.booleans()),
            )
        )
    return result


@settings(max_examples=300, deadline=None)
@given(
    candidates=candidate_sets(),
    weekly_hours=st.floats(min_value=0.5, max_value=20),
    gift_budget=st.sampled_from([0.0, 5.0, 40.0]),
)
def test_roadmap_invariants(candidates: list[Candidate], weekly_hours: float, gift_budget: float) -> None:
    plan = plan_roadmap(candidates, today=MONDAY, weekly_hours=weekly_hours, gift_budget_hours_per_quarter=gift_budget)
    by_id = {c.opportunity_id: c for c in candidates}
    position = {item.opportunity_id: index for index, item in enumerate(plan.items)}

    # Nothing twice, nothing finished, and waste only when mandatory or needed by something planned.
    assert len(position) == len(plan.items)
    for item in plan.items:
        source = by_id[item.opportunity_id]
        assert not source.finished
        if item.quadrant is Quadrant.WASTE:
            assert source.mandatory_due is not None or item.prerequisite_of

    # Every unfinished prerequisite of a planned item is planned before it.
    for item in plan.items:
        for needed in by_id[item.opportunity_id].prerequisites:
            if not by_id[needed].finished:
                assert position[needed] < position[item.opportunity_id]

    # Every mandatory, unfinished item is planned.
    for c in candidates:
        if c.mandatory_due is not None and not c.finished:
            assert c.opportunity_id in position

    # Dates never go backwards, from today on.
    previous = MONDAY
    for item in plan.items:
        assert previous <= item.start <= item.finish
        previous = item.start

    # The work due by any date fits in the learner's weekly hours up to that date: no week is overfull.
    done_by = 0.0
    for item in plan.items:
        done_by += item.hours
        days_available = (item.finish - MONDAY).days + 1
        assert done_by <= weekly_hours * days_available / 7 + 1e-6


@settings(max_examples=300, deadline=None)
@given(
    candidates=candidate_sets(),
    weekly_hours=st.floats(min_value=0.5, max_value=20),
    gift_budget=st.sampled_from([0.0, 5.0, 40.0]),
)
def test_planning_only_what_can_be_planned_gives_the_same_plan_and_finish(
    candidates: list[Candidate], weekly_hours: float, gift_budget: float
) -> None:
    def plan(chosen: list[Candidate]) -> Plan:
        return plan_roadmap(chosen, today=MONDAY, weekly_hours=weekly_hours, gift_budget_hours_per_quarter=gift_budget)

    assert plan(plannable(candidates)) == plan(candidates)
    assert (
        projected_finish(candidates, today=MONDAY, weekly_hours=weekly_hours, gift_budget_hours_per_quarter=gift_budget)
        == plan(candidates).projected_finish
    )


def test_what_can_be_planned_includes_the_waste_that_something_needs_first() -> None:
    chosen = plannable(
        [
            candidate(1, Quadrant.UPHILL, org=0.9, needs=(2,)),
            candidate(2, Quadrant.WASTE, needs=(3,)),
            candidate(3, Quadrant.WASTE),
            candidate(4, Quadrant.WASTE),
            candidate(5, Quadrant.WASTE, due=MONDAY),
        ]
    )
    assert sorted(c.opportunity_id for c in chosen) == [1, 2, 3, 5]


def test_an_explanation_is_worked_out_only_for_what_is_planned_for_its_own_sake() -> None:
    asked: list[int] = []

    def explain(id: int) -> Callable[[], Message]:
        def work_out() -> Message:
            asked.append(id)
            return verbatim(f"worked out for {id}")

        return work_out

    plan = plan_roadmap(
        [
            replace(candidate(1, Quadrant.SWEET_SPOT, personal=1, org=1), explanation=None, explain=explain(1)),
            replace(candidate(2, Quadrant.GIFT, personal=1), explanation=None, explain=explain(2)),
        ],
        today=MONDAY,
        weekly_hours=2,
    )
    assert [item.reason for item in plan.items] == [verbatim("worked out for 1")]
    assert asked == [1]
