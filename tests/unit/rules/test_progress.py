"""Progress from learning events: matching, finishing, partial progress and voiding."""

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from alignment.rules.progress import (
    ADL,
    COMPLETED,
    FAILED,
    PASSED,
    ItemProgress,
    LearningEvent,
    Matcher,
    MatcherIndex,
    advance,
    progress_by_opportunity,
)

COURSE = "https://lms.example.com/course/42"
MODULE = "https://lms.example.com/course/42/module/1"
QUIZ = "https://lms.example.com/quiz/7"
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
INDEX = MatcherIndex(
    [
        Matcher(1, activity_ids=frozenset({COURSE})),
        Matcher(2, activity_ids=frozenset({QUIZ})),
        Matcher(3, lti_resource_link_ids=frozenset({"link-roadmap"})),
    ]
)


def event(n: int, verb: str, activity: str | None = COURSE, **fields: object) -> LearningEvent:
    return LearningEvent(
        event_id=f"e{n}",
        learner_id=7,
        occurred_at=T0 + timedelta(days=n),
        verb=verb,
        activity_id=activity,
        **fields,  # type: ignore[arg-type]
    )


def test_completed_passed_and_mastered_finish_an_item() -> None:
    for verb in (COMPLETED, PASSED, ADL + "mastered"):
        progress = progress_by_opportunity([event(1, verb)], INDEX)
        assert progress[1].finished
        assert progress[1].done_fraction == 1.0


def test_failed_does_not_finish_even_when_complete() -> None:
    progress = progress_by_opportunity(
        [event(1, FAILED, QUIZ, completion=True, success=False), event(2, COMPLETED, QUIZ, success=False)],
        INDEX,
    )
    assert progress[2].started
    assert not progress[2].finished


def test_other_verbs_are_activity_and_result_progress_is_partial() -> None:
    progress = progress_by_opportunity(
        [event(1, ADL + "experienced", progress=0.4), event(2, ADL + "progressed", progress=0.3)], INDEX
    )
    item = progress[1]
    assert item.events == 2
    assert item.done_fraction == 0.4
    assert not item.finished
    assert item.first_activity_at == T0 + timedelta(days=1)
    assert item.last_activity_at == T0 + timedelta(days=2)


def test_completion_flag_finishes_without_a_finishing_verb() -> None:
    progress = progress_by_opportunity([event(1, ADL + "experienced", completion=True)], INDEX)
    assert progress[1].finished


def test_a_module_inside_a_course_counts_for_the_course_without_finishing_it() -> None:
    module_done = event(1, COMPLETED, MODULE, context_activity_ids=(COURSE,))
    progress = progress_by_opportunity([module_done], INDEX)
    assert progress[1].started
    assert progress[1].completed_parts == 1
    assert not progress[1].finished


def test_lti_launch_matches_by_resource_link() -> None:
    launch = event(1, ADL + "launched", None, lti_resource_link_id="link-roadmap")
    assert progress_by_opportunity([launch], INDEX)[3].events == 1


def test_voiding_undoes_a_completion_from_the_moment_it_happened() -> None:
    completion = event(1, COMPLETED)
    voiding = event(3, ADL + "voided", None, voids="e1")
    assert 1 not in progress_by_opportunity([completion, voiding], INDEX)
    as_before_voiding = progress_by_opportunity([completion, voiding], INDEX, as_of=T0 + timedelta(days=2))
    assert as_before_voiding[1].finished


def test_events_at_or_after_as_of_are_not_seen() -> None:
    events = [event(1, ADL + "experienced"), event(5, COMPLETED)]
    assert not progress_by_opportunity(events, INDEX, as_of=T0 + timedelta(days=5))[1].finished
    assert progress_by_opportunity(events, INDEX, as_of=T0 + timedelta(days=6))[1].finished


def test_unmatched_events_touch_no_opportunity() -> None:
    assert progress_by_opportunity([event(1, COMPLETED, "https://elsewhere.example/x")], INDEX) == {}


def test_finishing_time_is_the_first_finishing_event() -> None:
    progress = progress_by_opportunity([event(2, PASSED, QUIZ), event(4, PASSED, QUIZ)], INDEX)
    assert progress[2].finished_at == T0 + timedelta(days=2)


@st.composite
def histories(draw: st.DrawFn) -> list[LearningEvent]:
    """Events on the course, its module and the quiz, in any order, some at the same moment."""
    verbs = [ADL + "experienced", ADL + "progressed", COMPLETED, PASSED, FAILED]
    count = draw(st.integers(min_value=1, max_value=12))
    return [
        LearningEvent(
            event_id=f"e{n}",
            learner_id=7,
            occurred_at=T0 + timedelta(hours=draw(st.integers(0, 6))),
            verb=draw(st.sampled_from(verbs)),
            activity_id=draw(st.sampled_from([COURSE, MODULE, QUIZ, None])),
            context_activity_ids=tuple(draw(st.lists(st.sampled_from([COURSE, QUIZ]), max_size=2, unique=True))),
            lti_resource_link_id=draw(st.sampled_from([None, "link-roadmap"])),
            completion=draw(st.sampled_from([None, True, False])),
            success=draw(st.sampled_from([None, True, False])),
            progress=draw(st.sampled_from([None, 0.25, 0.5, 1.0])),
        )
        for n in range(count)
    ]


@settings(max_examples=300, deadline=None)
@given(events=histories(), order=st.randoms(use_true_random=False))
def test_adding_events_one_by_one_in_any_order_gives_the_progress_of_reading_them_in_time_order(
    events: list[LearningEvent], order: random.Random
) -> None:
    shuffled = list(events)
    order.shuffle(shuffled)
    tally: dict[int, ItemProgress] = {}
    for e in shuffled:
        for opportunity, kind in INDEX.matches(e).items():
            tally[opportunity] = advance(tally.get(opportunity), opportunity, e, kind)
    assert tally == progress_by_opportunity(events, INDEX)
