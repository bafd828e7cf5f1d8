"""The demo organisation's stories produce the flags they are meant to show, through the real xAPI path."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alignment.flags import flags_of
from alignment.people import find_context, roster
from alignment.sweeps import sweep
from sweetspot.demo_data import STORIES, DemoLearner, DemoStaff, seed
from sweetspot.jobs import hand_off_statements
from sweetspot.runtime import Runtime
from tests.integration.conftest import World

EXPECTED = {
    "gifts_only": "uphill_avoidance",
    "plateau": "plateau",
    "never_started": "never_started",
    "gone_quiet": "gone_quiet",
}


def test_each_demo_story_raises_its_flag_and_the_sweet_spot_and_steady_learners_stay_clear(
    runtime: Runtime, world: World, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    learners = [DemoLearner(f"u-{story}", story.title(), f"{story}@demo.test", story) for story in STORIES]
    seeded = seed(
        runtime.unit_of_work,
        world.other_tenant.id,
        ("demo-course", "Demo course"),
        learners,
        [DemoStaff("u-boss", "Boss", "boss@demo.test")],
        tmp_path / "statements.jsonl",
        now,
    )
    assert seeded
    hand_off_statements(runtime, world.other_tenant.id)
    with runtime.unit_of_work() as uow:
        sweep(uow, world.other_tenant.id, now)
        uow.commit()
    with runtime.unit_of_work(read_only=True) as uow:
        course = find_context(uow, world.other_tenant.id, "demo-course")
        names = {m.person.id: m.person.lms_user_id for m in roster(uow, course)}
        rules: dict[str, set[str]] = {lms_id: set() for lms_id in names.values()}
        for flag in flags_of(uow, world.other_tenant.id, course.id):
            rules[names[flag.person_id]].add(flag.rule.value)
    for story, rule in EXPECTED.items():
        assert rule in rules[f"u-{story}"], (story, rules[f"u-{story}"])
    assert rules["u-sweet_spot"] == set()
    assert rules["u-steady"] == set()
    assert not seed(
        runtime.unit_of_work, world.other_tenant.id, ("demo-course", "Demo course"), learners, [],
        tmp_path / "again.jsonl", now,
    ), "seeding twice changes nothing"  # fmt: skip
