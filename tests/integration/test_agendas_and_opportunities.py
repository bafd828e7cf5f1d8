"""Agendas keep every version; opportunities are checked before anything is stored."""

from datetime import date

import pytest

from alignment.agendas import (
    current_org_agenda,
    current_personal_agenda,
    personal_agenda_history,
    set_org_agenda,
    set_personal_agenda,
)
from alignment.errors import Conflict, InvalidInput, NotFound
from alignment.frameworks import parse_opportunities_csv
from alignment.opportunities import (
    DISCOVERED,
    OpportunityDraft,
    create_opportunity,
    discover_activity,
    import_opportunities,
    list_opportunities,
    update_opportunity,
)
from alignment.rules.planning import PrerequisiteCycle
from alignment.rules.quadrants import Interest
from sweetspot.runtime import Runtime
from tests.integration.conftest import World


def test_each_change_of_a_personal_agenda_is_a_new_dated_version(runtime: Runtime, world: World) -> None:
    t, ana = world.tenant.id, world.ana.id
    with runtime.unit_of_work() as uow:
        first = set_personal_agenda(uow, t, ana, {world.python.id: 3}, "Lead the data guild", weekly_hours=3)
        same = set_personal_agenda(uow, t, ana, {world.python.id: 3}, "Lead the data guild", weekly_hours=3)
        second = set_personal_agenda(uow, t, ana, {world.python.id: 3, world.sql.id: 1}, "Lead the data guild", 3)
        uow.commit()
    assert (first.version, same.version, second.version) == (1, 1, 2)
    with runtime.unit_of_work() as uow:
        history = personal_agenda_history(uow, t, ana)
        as_first = current_personal_agenda(uow, t, ana, as_of=second.created_at)
    assert [h.version for h in history] == [2, 1]
    assert as_first is not None and dict(as_first.interests) == {world.python.id: Interest.TOP_PRIORITY}


@pytest.mark.parametrize(
    ("interests", "hours", "message"),
    [
        ({"python": 7}, 2.0, "interest for skill .* must be 0 to 3"),
        ({"unknown": 2}, 2.0, "unknown skill id"),
        ({"python": 2}, 0.0, "weekly_hours must be between 0.25 and 40"),
    ],
)
def test_bad_personal_agenda_is_refused_and_changes_nothing(
    runtime: Runtime, world: World, interests: dict[str, int], hours: float, message: str
) -> None:
    ids = {"python": world.python.id, "unknown": 99999}
    with runtime.unit_of_work() as uow:
        with pytest.raises(InvalidInput, match=message):
            set_personal_agenda(
                uow, world.tenant.id, world.ana.id, {ids[k]: v for k, v in interests.items()}, "", hours
            )
        assert current_personal_agenda(uow, world.tenant.id, world.ana.id) is None


def test_agenda_for_another_tenants_person_is_not_found(runtime: Runtime, world: World) -> None:
    with runtime.unit_of_work() as uow, pytest.raises(NotFound):
        set_personal_agenda(uow, world.other_tenant.id, world.ana.id, {})


def test_important_and_critical_needs_require_a_why(runtime: Runtime, world: World) -> None:
    with runtime.unit_of_work() as uow:
        with pytest.raises(InvalidInput, match=r"a why is required for SQL \(important\)"):
            set_org_agenda(uow, world.tenant.id, world.course.id, {world.sql.id: (2, "  ")})
        useful = set_org_agenda(uow, world.tenant.id, world.course.id, {world.sql.id: (1, "")})
    assert useful.version == 1


def test_org_agenda_holds_mandatory_items_with_due_dates(runtime: Runtime, world: World) -> None:
    with runtime.unit_of_work() as uow:
        safety = create_opportunity(uow, world.tenant.id, OpportunityDraft("Data protection", "course", 1.5))
        set_org_agenda(
            uow,
            world.tenant.id,
            world.course.id,
            {world.python.id: (3, "All reporting moves to Python this year.")},
            mandatory={safety.id: date(2026, 12, 31)},
        )
        uow.commit()
    with runtime.unit_of_work() as uow:
        agenda = current_org_agenda(uow, world.tenant.id, world.course.id)
    assert agenda is not None
    assert dict(agenda.mandatory) == {safety.id: date(2026, 12, 31)}


def test_opportunity_fields_are_each_checked(runtime: Runtime, world: World) -> None:
    t = world.tenant.id
    bad = [
        (OpportunityDraft("x", "webinar", 1), "kind must be one of"),
        (OpportunityDraft("x", "course", 0), "effort_hours must be more than 0"),
        (OpportunityDraft("x", "course", 1, skills={world.sql.id: 1.5}), "weight of skill"),
        (OpportunityDraft("x", "course", 1, activity_ids=frozenset({"not an iri"})), "is not an IRI"),
        (OpportunityDraft("x", "course", 1, prerequisites=frozenset({424242})), "unknown prerequisite"),
        (OpportunityDraft("x", "course", 1, url="javascript:alert(1)"), "url must start with"),
    ]
    with runtime.unit_of_work() as uow:
        for draft, message in bad:
            with pytest.raises(InvalidInput, match=message):
                create_opportunity(uow, t, draft)
        assert list_opportunities(uow, t) == []


def test_a_prerequisite_cycle_is_refused(runtime: Runtime, world: World) -> None:
    t = world.tenant.id
    with runtime.unit_of_work() as uow:
        a = create_opportunity(uow, t, OpportunityDraft("A", "course", 1))
        b = create_opportunity(uow, t, OpportunityDraft("B", "course", 1, prerequisites=frozenset({a.id})))
        with pytest.raises(PrerequisiteCycle, match="cycle"):
            update_opportunity(uow, t, a.id, OpportunityDraft("A", "course", 1, prerequisites=frozenset({b.id})))


def test_an_activity_id_belongs_to_one_opportunity(runtime: Runtime, world: World) -> None:
    t = world.tenant.id
    activity = frozenset({"https://lms.acme.test/mod/scorm/1"})
    with runtime.unit_of_work() as uow:
        create_opportunity(uow, t, OpportunityDraft("A", "course", 1, activity_ids=activity))
        with pytest.raises(Conflict, match="already belongs to opportunity"):
            create_opportunity(uow, t, OpportunityDraft("B", "course", 1, activity_ids=activity))


def test_unmapped_activity_is_discovered_once_for_tagging(runtime: Runtime, world: World) -> None:
    t = world.tenant.id
    with runtime.unit_of_work() as uow:
        found = discover_activity(uow, t, "https://lms.acme.test/mod/page/7", "Intro to pivot tables")
        again = discover_activity(uow, t, "https://lms.acme.test/mod/page/7", "Intro to pivot tables")
        assert found is not None and found.status == DISCOVERED
        assert again is None
        assert list_opportunities(uow, t) == []
        assert [o.title for o in list_opportunities(uow, t, (DISCOVERED,))] == ["Intro to pivot tables"]


def test_csv_import_links_prerequisites_by_title_and_is_repeatable(runtime: Runtime, world: World) -> None:
    csv_text = (
        "title,kind,effort_hours,skills,activity_ids,prerequisites\n"
        "Advanced SQL,course,6,SQL:1,https://lms.acme.test/c/2,SQL basics\n"
        "SQL basics,course,3,SQL:0.8; Excel:0.2,https://lms.acme.test/c/1,\n"
    )
    rows = parse_opportunities_csv(csv_text)
    names = {"SQL": world.sql.id, "Excel": world.excel.id}
    with runtime.unit_of_work() as uow:
        first = import_opportunities(uow, world.tenant.id, rows, names)
        uow.commit()
    with runtime.unit_of_work() as uow:
        second = import_opportunities(uow, world.tenant.id, rows, names)
        by_title = {o.title: o for o in list_opportunities(uow, world.tenant.id)}
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)
    assert by_title["Advanced SQL"].prerequisites == {by_title["SQL basics"].id}


def test_csv_import_with_an_unknown_skill_names_the_line(runtime: Runtime, world: World) -> None:
    rows = parse_opportunities_csv("title,kind,effort_hours,skills\nCOBOL,course,3,COBOL:1\n")
    with runtime.unit_of_work() as uow, pytest.raises(InvalidInput, match="line 2: unknown skill 'COBOL'"):
        import_opportunities(uow, world.tenant.id, rows, {"SQL": world.sql.id})
