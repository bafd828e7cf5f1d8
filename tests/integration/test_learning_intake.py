"""Learning events move roadmaps: finishing re-plans with a reason, unknown activities wait for tags."""

from datetime import UTC, datetime, timedelta

from alignment.agendas import set_org_agenda, set_personal_agenda
from alignment.learning import take_in
from alignment.opportunities import DISCOVERED, OpportunityDraft, create_opportunity, list_opportunities
from alignment.replanning import replan_person
from alignment.roadmaps import Trigger, latest_version
from alignment.rules.progress import ADL, COMPLETED, LearningEvent
from alignment.sentences import REPLAN_AGENDA, english
from sweetspot.runtime import Runtime
from tests.integration.conftest import World

COURSE = "https://lms.acme.test/course/python"


def test_finishing_a_course_replans_with_the_reason(runtime: Runtime, world: World) -> None:
    t = world.tenant.id
    with runtime.unit_of_work() as uow:
        create_opportunity(
            uow,
            t,
            OpportunityDraft(
                "Python for analysts", "course", 10, {world.python.id: 1}, activity_ids=frozenset({COURSE})
            ),
        )
        set_org_agenda(uow, t, world.course.id, {world.python.id: (3, "Reports move to Python.")})
        set_personal_agenda(uow, t, world.ana.id, {world.python.id: 3})
        now = datetime.now(UTC)
        assert replan_person(uow, t, world.ana.id, Trigger.AGENDA, REPLAN_AGENDA(), now) == 1
        done = LearningEvent("stmt-1", world.ana.id, now - timedelta(minutes=5), COMPLETED, COURSE)
        intake = take_in(uow, t, [done], now + timedelta(seconds=1))
        replay = take_in(uow, t, [done], now + timedelta(seconds=2))
        version = latest_version(uow, t, world.ana.id, world.course.id)
        uow.commit()
    assert (intake.recorded, intake.replanned) == (1, 1)
    assert (replay.recorded, replay.replanned) == (0, 0)
    assert version is not None
    assert english(version.reason) == "You finished “Python for analysts”."
    assert version.plan.items == ()


def test_unknown_activity_is_discovered_under_its_statement_name(runtime: Runtime, world: World) -> None:
    t = world.tenant.id
    page = "https://lms.acme.test/mod/page/9"
    with runtime.unit_of_work() as uow:
        event = LearningEvent("stmt-2", world.ben.id, datetime.now(UTC), ADL + "experienced", page)
        intake = take_in(uow, t, [event], datetime.now(UTC), activity_names={page: "Reading: data ethics"})
        discovered = list_opportunities(uow, t, (DISCOVERED,))
    assert intake.discovered == 1
    assert [(o.title, o.activity_ids) for o in discovered] == [("Reading: data ethics", frozenset({page}))]
