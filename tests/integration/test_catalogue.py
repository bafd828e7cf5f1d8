"""The skill catalogue on the real database: create, rename, retire, merge, import."""

import json

import pytest

from alignment.agendas import current_org_agenda, current_personal_agenda, set_org_agenda, set_personal_agenda
from alignment.catalogue import create_skill, import_framework, list_skills, rename_skill, retire_skill
from alignment.errors import Conflict, InvalidInput, NotFound
from alignment.frameworks import parse_case_package, parse_skills_csv
from alignment.opportunities import OpportunityDraft, create_opportunity, get_opportunity
from alignment.skill_merging import merge_skills
from sweetspot.runtime import Runtime
from tests.integration.conftest import World


def test_skill_names_and_uris_are_unique_within_a_tenant_only(runtime: Runtime, world: World) -> None:
    with runtime.unit_of_work() as uow:
        with pytest.raises(Conflict, match="name “Python” already exists"):
            create_skill(uow, world.tenant.id, "Python")
        with pytest.raises(Conflict, match=r"uri “https://skills\.acme\.test/python” already exists"):
            create_skill(uow, world.tenant.id, "Python 3", uri="https://skills.acme.test/python")
        assert create_skill(uow, world.other_tenant.id, "Python").name == "Python"


def test_renamed_skill_keeps_its_uri(runtime: Runtime, world: World) -> None:
    with runtime.unit_of_work() as uow:
        renamed = rename_skill(uow, world.tenant.id, world.python.id, "Python programming", "Engineering")
        uow.commit()
    assert (renamed.name, renamed.category, renamed.uri) == (
        "Python programming",
        "Engineering",
        "https://skills.acme.test/python",
    )


def test_retired_skill_leaves_the_catalogue_and_cannot_be_chosen(runtime: Runtime, world: World) -> None:
    with runtime.unit_of_work() as uow:
        retire_skill(uow, world.tenant.id, world.excel.id)
        assert "Excel" not in [s.name for s in list_skills(uow, world.tenant.id)]
        assert "Excel" in [s.name for s in list_skills(uow, world.tenant.id, include_retired=True)]
        with pytest.raises(InvalidInput, match="retired skill"):
            set_personal_agenda(uow, world.tenant.id, world.ana.id, {world.excel.id: 2})


def test_another_tenants_skill_is_not_found(runtime: Runtime, world: World) -> None:
    with runtime.unit_of_work() as uow, pytest.raises(NotFound):
        rename_skill(uow, world.other_tenant.id, world.python.id, "Stolen")


def test_merge_moves_agendas_and_opportunities_keeping_the_higher_level(runtime: Runtime, world: World) -> None:
    with runtime.unit_of_work() as uow:
        t = world.tenant.id
        set_personal_agenda(uow, t, world.ana.id, {world.sql.id: 3, world.python.id: 1})
        set_org_agenda(uow, t, world.course.id, {world.sql.id: (2, "Reports run on SQL.")})
        course = create_opportunity(uow, t, OpportunityDraft("SQL basics", "course", 4, skills={world.sql.id: 0.8}))
        merge_skills(uow, t, world.sql.id, world.python.id)
        uow.commit()
    with runtime.unit_of_work() as uow:
        agenda = current_personal_agenda(uow, t, world.ana.id)
        org = current_org_agenda(uow, t, world.course.id)
        assert agenda is not None and org is not None
        assert dict(agenda.interests) == {world.python.id: 3}
        assert {k: (v.need, v.why) for k, v in org.needs.items()} == {world.python.id: (2, "Reports run on SQL.")}
        assert dict(get_opportunity(uow, t, course.id).skills) == {world.python.id: 0.8}
        merged = next(s for s in list_skills(uow, t, include_retired=True) if s.id == world.sql.id)
        assert merged.retired and merged.merged_into_id == world.python.id


def test_a_skill_cannot_be_merged_into_itself(runtime: Runtime, world: World) -> None:
    with runtime.unit_of_work() as uow, pytest.raises(InvalidInput, match="into itself"):
        merge_skills(uow, world.tenant.id, world.sql.id, world.sql.id)


CASE_PACKAGE = {
    "CFDocument": {"identifier": "doc-1", "uri": "https://case.example/doc-1", "title": "Data Competencies"},
    "CFItems": [
        {
            "identifier": "g1",
            "uri": "https://case.example/g1",
            "fullStatement": "Analytics",
            "abbreviatedStatement": "Analytics",
        },
        {
            "identifier": "i1",
            "uri": "https://case.example/i1",
            "fullStatement": "Write SQL queries",
            "abbreviatedStatement": "SQL",
        },
        {"identifier": "i2", "uri": "https://case.example/i2", "fullStatement": "Build dashboards"},
    ],
    "CFAssociations": [
        {
            "identifier": f"a{n}",
            "associationType": "isChildOf",
            "originNodeURI": {"identifier": child, "uri": f"https://case.example/{child}", "title": child},
            "destinationNodeURI": {"identifier": "g1", "uri": "https://case.example/g1", "title": "Analytics"},
        }
        for n, child in enumerate(("i1", "i2"))
    ],
}


def test_case_import_adds_skills_and_matches_existing_ones_by_name(runtime: Runtime, world: World) -> None:
    framework = parse_case_package(json.loads(json.dumps(CASE_PACKAGE)))
    with runtime.unit_of_work() as uow:
        summary = import_framework(uow, world.tenant.id, framework)
        uow.commit()
    assert (summary.created, summary.updated, summary.unchanged) == (1, 1, 0)
    with runtime.unit_of_work() as uow:
        skills = {s.name: s for s in list_skills(uow, world.tenant.id)}
        again = import_framework(uow, world.tenant.id, framework)
    assert skills["SQL"].uri == "https://case.example/i1"
    assert skills["SQL"].category == "Analytics"
    assert skills["Build dashboards"].uri == "https://case.example/i2"
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)


def test_csv_import_of_a_bad_file_changes_nothing(runtime: Runtime, world: World) -> None:
    with pytest.raises(InvalidInput, match="line 3"):
        parse_skills_csv("name,category\nStorytelling,Communication\n,Communication\n")
    framework = parse_skills_csv("name,category\nStorytelling,Communication\n")
    with runtime.unit_of_work() as uow:
        assert import_framework(uow, world.tenant.id, framework).created == 1
        # not committed: leaving the unit of work rolls it back
    with runtime.unit_of_work() as uow:
        assert "Storytelling" not in [s.name for s in list_skills(uow, world.tenant.id)]
