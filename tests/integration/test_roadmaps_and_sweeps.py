"""Roadmaps re-planned and versioned, and sweeps that raise, update and clear flags, on the real database."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from alignment.agendas import set_org_agenda, set_personal_agenda
from alignment.errors import Conflict, InvalidInput, NotFound
from alignment.events import record_events
from alignment.flags import FlagStatus, acknowledge_flag, flag_history, flags_of, resolve_flag
from alignment.opportunities import OpportunityDraft, create_opportunity
from alignment.replanning import replan, replan_context
from alignment.roadmaps import RoadmapRecord, Trigger, roadmap_versions_by_person
from alignment.rules.progress import ADL, COMPLETED, LearningEvent
from alignment.rules.quadrants import Quadrant
from alignment.rules.stalls import StallRule
from alignment.sentences import REPLAN_AGENDA, REPLAN_FINISHED, REPLAN_ORG_AGENDA, english
from alignment.snapshots import learner_situation, load_snapshot
from alignment.sweeps import MomentumRecord, sweep
from sweetspot.runtime import Runtime
from tests.integration.conftest import World

PYTHON_COURSE = "https://lms.acme.test/course/python"
SQL_COURSE = "https://lms.acme.test/course/sql"
WHY = "Every client report moves to the new data platform in Q1."


def setup_course(runtime: Runtime, world: World) -> datetime:
    """Three opportunities, the org agenda and Ana's agenda; returns the moment just after."""
    t = world.tenant.id
    with runtime.unit_of_work() as uow:
        python = create_opportunity(
            uow,
            t,
            OpportunityDraft(
                "Python for analysts", "course", 10, {world.python.id: 1.0}, activity_ids=frozenset({PYTHON_COURSE})
            ),
        )
        sql = create_opportunity(
            uow,
            t,
            OpportunityDraft("SQL basics", "course", 4, {world.sql.id: 1.0}, activity_ids=frozenset({SQL_COURSE})),
        )
        swahili = create_opportunity(uow, t, OpportunityDraft("Swahili 1", "course", 20, {world.swahili.id: 1.0}))
        set_org_agenda(uow, t, world.course.id, {world.python.id: (3, WHY), world.sql.id: (2, WHY)})
        set_personal_agenda(uow, t, world.ana.id, {world.python.id: 3, world.swahili.id: 3}, weekly_hours=2)
        uow.commit()
    assert python and sql and swahili
    return datetime.now(UTC)


def event(
    person_id: int, n: int, when: datetime, verb: str = ADL + "experienced", activity: str = PYTHON_COURSE
) -> LearningEvent:
    return LearningEvent(f"ev-{person_id}-{n}", person_id, when, verb, activity)


def test_first_roadmap_places_sweet_spot_before_uphill_and_leaves_out_gifts(runtime: Runtime, world: World) -> None:
    now = setup_course(runtime, world)
    with runtime.unit_of_work() as uow:
        version = replan(uow, world.tenant.id, world.ana.id, world.course.id, Trigger.AGENDA, REPLAN_AGENDA(), now)
        uow.commit()
    plan = version.plan
    assert version.version == 1
    assert [english(c) for c in version.changes] == ["First roadmap: 2 items."]
    assert [(i.title, i.quadrant) for i in plan.items] == [
        ("Python for analysts", Quadrant.SWEET_SPOT),
        ("SQL basics", Quadrant.UPHILL),
    ]
    assert plan.items[1].org_why == WHY
    assert [o.title for o in plan.left_out] == ["Swahili 1"]
    assert plan.items[0].start == now.date()


def test_finishing_an_item_replans_with_a_reason_and_keeps_the_old_version(runtime: Runtime, world: World) -> None:
    now = setup_course(runtime, world)
    t = world.tenant.id
    with runtime.unit_of_work() as uow:
        replan(uow, t, world.ana.id, world.course.id, Trigger.AGENDA, REPLAN_AGENDA(), now)
        record_events(uow, t, [event(world.ana.id, 1, now - timedelta(hours=1), COMPLETED)])
        again = replan(
            uow,
            t,
            world.ana.id,
            world.course.id,
            Trigger.PROGRESS,
            REPLAN_FINISHED(titles=["Python for analysts"]),
            now,
        )
        unchanged = replan(
            uow, t, world.ana.id, world.course.id, Trigger.PROGRESS, REPLAN_FINISHED(titles=["nothing new"]), now
        )
        uow.commit()
    assert again.version == 2
    assert english(again.reason) == "You finished “Python for analysts”."
    assert english(again.changes[0]) == "No longer planned: “Python for analysts”."
    assert unchanged.version == 2
    with runtime.unit_of_work() as uow:
        versions = roadmap_versions_by_person(uow, t, world.course.id, [world.ana.id])[world.ana.id]
    assert [v.version for v in versions] == [1, 2]


def test_replan_of_someone_not_in_the_context_is_not_found(runtime: Runtime, world: World) -> None:
    now = datetime.now(UTC)
    with runtime.unit_of_work() as uow, pytest.raises(NotFound, match="not a learner"):
        replan(uow, world.tenant.id, world.manager.id, world.course.id, Trigger.AGENDA, REPLAN_AGENDA(), now)


def test_org_agenda_change_replans_every_learner(runtime: Runtime, world: World) -> None:
    now = setup_course(runtime, world)
    with runtime.unit_of_work() as uow:
        assert replan_context(uow, world.tenant.id, world.course.id, Trigger.ORG_AGENDA, REPLAN_ORG_AGENDA(), now) == 2
        assert replan_context(uow, world.tenant.id, world.course.id, Trigger.ORG_AGENDA, REPLAN_ORG_AGENDA(), now) == 0


def test_events_are_recorded_once_whatever_the_replays(runtime: Runtime, world: World) -> None:
    now = datetime.now(UTC)
    batch = [event(world.ana.id, n, now - timedelta(days=n)) for n in range(3)]
    with runtime.unit_of_work() as uow:
        assert record_events(uow, world.tenant.id, batch) == 3
        assert record_events(uow, world.tenant.id, batch + batch) == 0
        with pytest.raises(InvalidInput, match="unknown person"):
            record_events(uow, world.other_tenant.id, batch)


def test_sweep_raises_explained_flags_and_is_idempotent(runtime: Runtime, world: World) -> None:
    now = setup_course(runtime, world)
    t = world.tenant.id
    with runtime.unit_of_work() as uow:
        replan_context(uow, t, world.course.id, Trigger.ORG_AGENDA, REPLAN_AGENDA(), now)
        record_events(uow, t, [event(world.ana.id, 1, now - timedelta(days=3))])
        uow.commit()
    later = now + timedelta(days=20)
    with runtime.unit_of_work() as uow:
        report = sweep(uow, t, later)
        uow.commit()
    # Twenty days with nothing finished also slips both roadmaps past the 25 % allowed.
    assert report.opened == 4
    with runtime.unit_of_work() as uow:
        flags = {(f.person_id, f.rule): f for f in flags_of(uow, t, world.course.id)}
    assert set(flags) == {
        (world.ana.id, StallRule.GONE_QUIET),
        (world.ana.id, StallRule.BEHIND_PACE),
        (world.ben.id, StallRule.NEVER_STARTED),
        (world.ben.id, StallRule.BEHIND_PACE),
    }
    quiet = flags[(world.ana.id, StallRule.GONE_QUIET)]
    never = flags[(world.ben.id, StallRule.NEVER_STARTED)]
    assert quiet.evidence["days_quiet"] == 23
    assert english(quiet.action).startswith("Ask Ana Alves what blocks “Python for analysts”")
    assert english(never.action).startswith("Check the roadmap is relevant to Ben Brown")
    with runtime.unit_of_work() as uow:
        again = sweep(uow, t, later)
        uow.commit()
    assert (again.opened, again.cleared) == (0, 0)


def test_flag_clears_itself_when_activity_resumes(runtime: Runtime, world: World) -> None:
    now = setup_course(runtime, world)
    t = world.tenant.id
    later = now + timedelta(days=20)
    with runtime.unit_of_work() as uow:
        sweep(uow, t, later)
        record_events(uow, t, [event(world.ben.id, 1, later + timedelta(hours=1))])
        report = sweep(uow, t, later + timedelta(days=1))
        uow.commit()
    assert report.cleared == 1
    with runtime.unit_of_work() as uow:
        (ben_flag,) = [f for f in flags_of(uow, t, include_resolved=True) if f.person_id == world.ben.id]
        history = flag_history(uow, t, ben_flag.id)
    assert ben_flag.status is FlagStatus.RESOLVED
    assert [h.kind for h in history] == ["opened", "cleared"]


def test_manager_acknowledges_then_resolves_and_the_flag_holds_off(runtime: Runtime, world: World) -> None:
    now = setup_course(runtime, world)
    t = world.tenant.id
    later = now + timedelta(days=20)
    with runtime.unit_of_work() as uow:
        sweep(uow, t, later)
        (flag,) = [f for f in flags_of(uow, t) if f.person_id == world.ben.id]
        acknowledge_flag(uow, t, flag.id, world.manager.id, "Talking to Ben on Friday", later)
        with pytest.raises(Conflict, match="only an open flag"):
            acknowledge_flag(uow, t, flag.id, world.manager.id, "", later)
        with pytest.raises(InvalidInput, match="a note is required"):
            resolve_flag(uow, t, flag.id, world.manager.id, " ", later)
        resolve_flag(uow, t, flag.id, world.manager.id, "Ben is on leave until March", later)
        after = sweep(uow, t, later + timedelta(days=1))
        uow.commit()
    assert after.opened == 0
    with runtime.unit_of_work() as uow:
        assert [h.kind for h in flag_history(uow, t, flag.id)] == ["opened", "acknowledged", "resolved"]
        with pytest.raises(NotFound):
            resolve_flag(uow, world.other_tenant.id, flag.id, world.manager.id, "not mine", later)


def test_sweep_as_of_a_past_moment_reports_without_writing(runtime: Runtime, world: World) -> None:
    now = setup_course(runtime, world)
    with runtime.unit_of_work() as uow:
        report = sweep(uow, world.tenant.id, now + timedelta(days=30), record=False)
        uow.commit()
    assert {r.learner_name for r in report.learners if r.findings} == {"Ana Alves", "Ben Brown"}
    with runtime.unit_of_work() as uow:
        assert flags_of(uow, world.tenant.id, include_resolved=True) == []
        assert uow.session.scalar(select(func.count()).select_from(MomentumRecord)) == 0


def test_sweep_keeps_a_momentum_score_per_learner_and_day(runtime: Runtime, world: World) -> None:
    now = setup_course(runtime, world)
    t = world.tenant.id
    with runtime.unit_of_work() as uow:
        record_events(uow, t, [event(world.ana.id, n, now - timedelta(days=7 * n)) for n in range(4)])
        sweep(uow, t, now)
        sweep(uow, t, now + timedelta(minutes=5))
        uow.commit()
    with runtime.unit_of_work() as uow:
        scores = {r.person_id: r.score for r in uow.session.scalars(select(MomentumRecord))}
    assert set(scores) == {world.ana.id, world.ben.id}
    assert scores[world.ana.id] > scores[world.ben.id]


def test_mandatory_item_due_in_the_past_is_behind_pace(runtime: Runtime, world: World) -> None:
    now = setup_course(runtime, world)
    t = world.tenant.id
    with runtime.unit_of_work() as uow:
        safety = create_opportunity(uow, t, OpportunityDraft("Data protection", "course", 1))
        set_org_agenda(
            uow,
            t,
            world.course.id,
            {world.python.id: (3, WHY)},
            mandatory={safety.id: date.today() + timedelta(days=5)},
        )
        now = datetime.now(UTC)
        replan_context(uow, t, world.course.id, Trigger.ORG_AGENDA, REPLAN_ORG_AGENDA(), now)
        record_events(uow, t, [event(world.ana.id, 1, now + timedelta(days=19))])
        report = sweep(uow, t, now + timedelta(days=20), record=False)
    ana = next(r for r in report.learners if r.person_id == world.ana.id)
    behind = next(f for f in ana.findings if f.rule is StallRule.BEHIND_PACE)
    assert behind.severity.value == "high"
    assert "Data protection" in english(behind.summary)


def test_the_sweep_reads_a_roadmap_stored_before_its_steps_were_kept_from_its_plan(
    runtime: Runtime, world: World
) -> None:
    now = setup_course(runtime, world)
    with runtime.unit_of_work() as uow:
        replan(uow, world.tenant.id, world.ana.id, world.course.id, Trigger.AGENDA, REPLAN_AGENDA(), now)
        uow.commit()
    later = now + timedelta(days=60)

    def steps() -> tuple[object, ...]:
        with runtime.unit_of_work(read_only=True) as uow:
            snapshot = load_snapshot(uow, world.tenant.id, world.course.id, later)
            return learner_situation(snapshot, world.ana.id).steps

    kept = steps()
    with runtime.unit_of_work() as uow:
        uow.session.execute(update(RoadmapRecord).values(steps=None))
        uow.commit()
    assert steps() == kept
    assert [s.title for s in kept] == ["Python for analysts", "SQL basics"]  # type: ignore[attr-defined]
