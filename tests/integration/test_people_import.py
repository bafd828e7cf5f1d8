"""Importing what HR knows of people (role start, role label) through the domain and the CLI."""

import json
from datetime import UTC, date, datetime
from pathlib import Path

from alignment.agendas import set_org_agenda
from alignment.frameworks import parse_people_csv
from alignment.opportunities import OpportunityDraft, create_opportunity
from alignment.people import find_person, get_person, upsert_person
from alignment.people_import import import_people
from alignment.replanning import replan_context
from alignment.roadmaps import Trigger, latest_version
from alignment.sentences import REPLAN_FIRST, REPLAN_ROLE
from sweetspot.runtime import Runtime
from tests.conftest import Cli
from tests.integration.conftest import World


def imported(runtime: Runtime, world: World, text: str, tenant_id: int | None = None):  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    rows = parse_people_csv(text, now.date())
    with runtime.unit_of_work() as uow:
        summary = import_people(uow, tenant_id or world.tenant.id, rows, now)
        uow.commit()
    return summary


def test_an_import_sets_role_start_and_label_finding_people_by_lms_id_or_email(runtime: Runtime, world: World) -> None:
    summary = imported(
        runtime,
        world,
        "lms_user_id,email,name,role_started_on,role_label\n"
        "u-ben,,,2019-03-01,Sales\n"
        ",ANA@acme.test,,2021-06-15,\n"
        "u-nia,nia@acme.test,Nia New,2024-01-08,Data engineer\n"
        ",nobody@acme.test,,2020-01-01,\n",
    )
    assert (summary.created, summary.updated, summary.unchanged, summary.unmatched) == (1, 2, 0, (5,))
    with runtime.unit_of_work(read_only=True) as uow:
        ben = get_person(uow, world.tenant.id, world.ben.id)
        ana = get_person(uow, world.tenant.id, world.ana.id)
        nia = find_person(uow, world.tenant.id, "u-nia")
    assert (ben.role_started_on, ben.role_label) == (date(2019, 3, 1), "Sales")
    assert (ana.role_started_on, ana.role_label) == (date(2021, 6, 15), None)
    assert nia is not None
    assert (nia.name, nia.email, nia.role_started_on, nia.role_label, nia.provisional) == (
        "Nia New",
        "nia@acme.test",
        date(2024, 1, 8),
        "Data engineer",
        False,
    )


def test_empty_cells_keep_what_is_stored_and_a_launch_keeps_the_imported_start(runtime: Runtime, world: World) -> None:
    imported(runtime, world, "lms_user_id,role_started_on,role_label\nu-ben,2019-03-01,Sales\n")
    again = imported(runtime, world, "lms_user_id,role_started_on,role_label\nu-ben,,\nu-ana,,\n")
    assert (again.updated, again.unchanged) == (0, 2)
    with runtime.unit_of_work() as uow:
        # A launch that sends neither custom parameter leaves them as HR gave them.
        upsert_person(uow, world.tenant.id, "u-ben", "Ben Brown")
        uow.commit()
        ben = get_person(uow, world.tenant.id, world.ben.id)
    assert (ben.role_started_on, ben.role_label) == (date(2019, 3, 1), "Sales")


def test_a_new_role_label_re_plans_the_learner_with_their_roles_agenda(runtime: Runtime, world: World) -> None:
    t = world.tenant.id
    with runtime.unit_of_work() as uow:
        sql = create_opportunity(uow, t, OpportunityDraft("SQL basics", "course", 2, {world.sql.id: 1.0}))
        set_org_agenda(
            uow, t, world.course.id, {world.sql.id: (3, "Engineers own the warehouse.")}, role_label="Data engineer"
        )
        replan_context(uow, t, world.course.id, Trigger.FIRST, REPLAN_FIRST(), datetime.now(UTC))
        uow.commit()
        before = latest_version(uow, t, world.ana.id, world.course.id)
    assert before is not None and sql.id not in {i.opportunity_id for i in before.plan.items}

    summary = imported(runtime, world, "lms_user_id,role_label\nu-ana,Data engineer\nu-ben,\n")

    assert (summary.updated, summary.replanned) == (1, 1)
    with runtime.unit_of_work(read_only=True) as uow:
        after = latest_version(uow, t, world.ana.id, world.course.id)
        ben = latest_version(uow, t, world.ben.id, world.course.id)
    assert after is not None and after.version == before.version + 1
    assert after.reason == REPLAN_ROLE(role="Data engineer") and after.trigger is Trigger.ORG_AGENDA
    assert sql.id in {i.opportunity_id for i in after.plan.items}
    assert ben is not None and ben.version == 1


def test_an_import_never_touches_another_tenants_people(runtime: Runtime, world: World) -> None:
    with runtime.unit_of_work() as uow:
        other = upsert_person(uow, world.other_tenant.id, "u-ana", "Ana at Globex", "ana@acme.test")
        uow.commit()
    summary = imported(runtime, world, "lms_user_id,role_started_on\nu-ana,2018-05-01\n")
    by_email = imported(runtime, world, "email,role_label\nana@acme.test,Analyst\n")
    assert (summary.updated, by_email.updated) == (1, 1)
    with runtime.unit_of_work(read_only=True) as uow:
        untouched = get_person(uow, world.other_tenant.id, other.id)
    assert (untouched.role_started_on, untouched.role_label) == (None, None)


def test_the_cli_imports_a_people_file_and_a_broken_one_changes_nothing(
    cli: Cli, runtime: Runtime, world: World, tmp_path: Path
) -> None:
    good = tmp_path / "people.csv"
    good.write_text("lms_user_id,email,role_started_on\nu-ben,,2019-03-01\n,someone@else.test,2020-01-01\n")
    done = cli("people", "import", str(good), "--tenant", "acme")
    assert done.exit_code == 0
    assert done.stdout == "0 created, 1 updated, 0 unchanged, 0 roadmaps re-planned\n"
    assert "no person has the email on line(s) 3: not imported" in done.stderr
    as_json = json.loads(cli("people", "import", str(good), "--tenant", "acme", "--json").stdout)
    assert as_json == {"created": 0, "updated": 0, "unchanged": 1, "unmatched": [3], "replanned": 0}

    broken = tmp_path / "broken.csv"
    broken.write_text("lms_user_id,role_started_on\nu-ana,2020-02-02\nu-ben,someday\n")
    refused = cli("people", "import", str(broken), "--tenant", "acme")
    assert refused.exit_code == 1
    assert "line 3: role_started_on must be a date such as 2024-03-31, got 'someday'" in refused.output
    with runtime.unit_of_work(read_only=True) as uow:
        assert get_person(uow, world.tenant.id, world.ana.id).role_started_on is None
