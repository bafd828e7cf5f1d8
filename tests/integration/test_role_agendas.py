"""A learner's roadmap follows the org agenda for their role label, over the context-wide agenda."""

from datetime import UTC, date, datetime, timedelta

from alignment.agendas import set_org_agenda
from alignment.messages import verbatim
from alignment.opportunities import OpportunityDraft, create_opportunity
from alignment.people import upsert_person
from alignment.replanning import replan_context
from alignment.roadmaps import Trigger
from alignment.rules.quadrants import Quadrant
from alignment.snapshots import learner_alignments, learner_plan, learner_situation, load_snapshot
from alignment.sweeps import sweep
from sweetspot.runtime import Runtime
from tests.integration.conftest import World

CONTEXT_WHY = "Every report moves to Python this year."
ROLE_WHY = "Data engineers own the warehouse."


def setup(runtime: Runtime, world: World) -> dict[str, int]:
    """Python needed by everyone, SQL by data engineers; a mandatory item each; Ana is a data engineer."""
    t = world.tenant.id
    with runtime.unit_of_work() as uow:
        made = {
            title: create_opportunity(uow, t, OpportunityDraft(title, "course", 2, skills)).id
            for title, skills in (
                ("Python", {world.python.id: 1.0}),
                ("SQL", {world.sql.id: 1.0}),
                ("Safety", {}),
                ("Warehouse rules", {}),
                ("Excel", {world.excel.id: 1.0}),
            )
        }
        set_org_agenda(
            uow,
            t,
            world.course.id,
            {world.python.id: (3, CONTEXT_WHY), world.excel.id: (3, CONTEXT_WHY)},
            mandatory={made["Safety"]: date(2027, 1, 31)},
        )
        set_org_agenda(
            uow,
            t,
            world.course.id,
            # The role's need replaces the context's where both name a skill: Excel is not needed here.
            {world.sql.id: (2, ROLE_WHY), world.excel.id: (0, "")},
            mandatory={made["Warehouse rules"]: date(2027, 2, 28), made["Safety"]: date(2026, 12, 31)},
            role_label="Data engineer",
        )
        upsert_person(uow, t, "u-ana", "Ana Alves", role_label="Data  engineer")
        upsert_person(uow, t, "u-ben", "Ben Brown", role_label="Sales")  # no agenda for sales: the context's
        uow.commit()
    return made


def test_planning_uses_the_agenda_of_the_learners_role_over_the_contexts(runtime: Runtime, world: World) -> None:
    made = setup(runtime, world)
    now = datetime.now(UTC) + timedelta(seconds=1)
    with runtime.unit_of_work(read_only=True) as uow:
        snapshot = load_snapshot(uow, world.tenant.id, world.course.id, now)
        ana = learner_plan(snapshot, world.ana.id, now.date())
        ben = learner_plan(snapshot, world.ben.id, now.date())
        ana_alignments = learner_alignments(snapshot, world.ana.id)
        ben_alignments = learner_alignments(snapshot, world.ben.id)
    assert {(i.title, i.quadrant, i.due) for i in ana.items} == {
        ("Safety", Quadrant.WASTE, date(2026, 12, 31)),
        ("Warehouse rules", Quadrant.WASTE, date(2027, 2, 28)),
        ("SQL", Quadrant.UPHILL, None),
        ("Python", Quadrant.UPHILL, None),
    }
    assert next(i.org_why for i in ana.items if i.title == "SQL") == ROLE_WHY
    assert {(i.title, i.due) for i in ben.items} == {
        ("Safety", date(2027, 1, 31)),
        ("Python", None),
        ("Excel", None),
    }
    assert ana_alignments[made["SQL"]].quadrant is Quadrant.UPHILL
    assert ben_alignments[made["SQL"]].quadrant is Quadrant.WASTE
    assert ana_alignments[made["Excel"]].quadrant is Quadrant.WASTE


def test_re_planning_and_the_sweep_follow_the_role_agenda(runtime: Runtime, world: World) -> None:
    setup(runtime, world)
    now = datetime.now(UTC) + timedelta(seconds=1)
    with runtime.unit_of_work() as uow:
        assert (
            replan_context(uow, world.tenant.id, world.course.id, Trigger.ORG_AGENDA, verbatim("Agendas set"), now) == 2
        )
        uow.commit()
    later = now + timedelta(days=40)
    with runtime.unit_of_work() as uow:
        snapshot = load_snapshot(uow, world.tenant.id, world.course.id, later)
        ana_steps = {s.title: s.due for s in learner_situation(snapshot, world.ana.id).steps}
        ben_steps = {s.title: s.due for s in learner_situation(snapshot, world.ben.id).steps}
        report = sweep(uow, world.tenant.id, later)
    assert ana_steps == {
        "Python": None,
        "SQL": None,
        "Safety": date(2026, 12, 31),
        "Warehouse rules": date(2027, 2, 28),
    }
    assert ben_steps == {"Python": None, "Excel": None, "Safety": date(2027, 1, 31)}
    flagged = {r.person_id: {f.rule.value for f in r.findings} for r in report.learners}
    assert flagged == {world.ana.id: {"never_started", "behind_pace"}, world.ben.id: {"never_started", "behind_pace"}}
