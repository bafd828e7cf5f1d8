"""A team learning objective whose key results come from the data, traced week by week."""

from datetime import UTC, date, datetime, timedelta

import pytest

from alignment.agendas import set_org_agenda, set_personal_agenda
from alignment.errors import InvalidInput, NotFound
from alignment.events import record_events
from alignment.objectives import KeyResultKind, quarter_bounds, set_objective, team_objective
from alignment.opportunities import OpportunityDraft, create_opportunity
from alignment.replanning import replan_context
from alignment.roadmaps import Trigger
from alignment.rules.progress import ADL, LearningEvent
from alignment.sentences import REPLAN_AGENDA
from sweetspot.runtime import Runtime
from tests.conftest import Cli
from tests.integration.conftest import World

PYTHON_COURSE = "https://lms.acme.test/course/python"


def test_quarter_bounds() -> None:
    assert quarter_bounds("2026-Q4") == (date(2026, 10, 1), date(2027, 1, 1))
    assert quarter_bounds("2027-Q1") == (date(2027, 1, 1), date(2027, 4, 1))
    with pytest.raises(InvalidInput, match="2026-Q4"):
        quarter_bounds("2026-4")


def test_key_results_are_computed_from_progress(runtime: Runtime, world: World) -> None:
    t = world.tenant.id
    with runtime.unit_of_work() as uow:
        create_opportunity(
            uow,
            t,
            OpportunityDraft("Python", "course", 10, {world.python.id: 1}, activity_ids=frozenset({PYTHON_COURSE})),
        )
        create_opportunity(uow, t, OpportunityDraft("SQL", "course", 5, {world.sql.id: 1}))
        set_org_agenda(
            uow, t, world.course.id, {world.python.id: (3, "Reports move to Python."), world.sql.id: (2, "SQL too.")}
        )
        set_personal_agenda(uow, t, world.ana.id, {world.python.id: 3})
        set_personal_agenda(uow, t, world.ben.id, {world.python.id: 2})
        uow.commit()
    now = datetime.now(UTC)
    with runtime.unit_of_work() as uow:
        replan_context(uow, t, world.course.id, Trigger.ORG_AGENDA, REPLAN_AGENDA(), now)
        record_events(uow, t, [LearningEvent("s1", world.ana.id, now, ADL + "progressed", PYTHON_COURSE, progress=0.3)])
        quarter = f"{now.year}-Q{(now.month - 1) // 3 + 1}"
        set_objective(
            uow,
            t,
            world.course.id,
            quarter,
            "Everyone grows in the skills our reports need",
            {"sweet_spot_in_progress": 0.5, "uphill_started": 0.5},
        )
        uow.commit()
    with runtime.unit_of_work() as uow:
        result = team_objective(uow, t, world.course.id, quarter, now + timedelta(minutes=1))
    values = {kr.kind: kr for kr in result.key_results}
    sweet = values[KeyResultKind.SWEET_SPOT_IN_PROGRESS]
    assert (sweet.numerator, sweet.denominator, sweet.met) == (1, 2, True)
    uphill = values[KeyResultKind.UPHILL_STARTED]
    assert (uphill.numerator, uphill.denominator, uphill.met) == (0, 2, False)
    assert all(day < (now + timedelta(days=1)).date() for day, _ in result.trend)


def test_bad_objectives_are_refused(runtime: Runtime, world: World) -> None:
    with runtime.unit_of_work() as uow:
        for targets, message in (
            ({}, "at least one key result"),
            ({"happiness": 0.5}, "unknown key result"),
            ({"uphill_started": 2}, "share in"),
        ):
            with pytest.raises(InvalidInput, match=message):
                set_objective(uow, world.tenant.id, world.course.id, "2026-Q4", "Grow", targets)
        with pytest.raises(NotFound):
            team_objective(uow, world.tenant.id, world.course.id, "2026-Q4", datetime.now(UTC))


def test_objective_commands(cli: Cli, world: World) -> None:
    now = datetime.now(UTC)
    quarter = f"{now.year}-Q{(now.month - 1) // 3 + 1}"
    args = ["--tenant", "acme", "--context", "course-101", "--quarter", quarter]
    result = cli("objective", "set", *args, "--statement", "Learn together", "--key-result", "mandatory_on_time=0.9")
    assert result.exit_code == 0, result.output
    shown = cli("objective", "show", *args)
    assert f"{quarter}: Learn together" in shown.output
    assert "mandatory_on_time: n/a of target 90%" in shown.output
