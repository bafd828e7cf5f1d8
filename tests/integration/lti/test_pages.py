"""The pages, reached through real launches: learners set their agenda and see their roadmap, managers
see their team and act on flags, admins manage deployments and xAPI credentials. Every form needs its
CSRF token, and nobody reaches another role's, team's or tenant's data."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from flask.testing import FlaskClient

from alignment.agendas import current_org_agenda, current_personal_agenda, set_org_agenda
from alignment.catalogue import list_skills
from alignment.flags import flags_of
from alignment.opportunities import OpportunityDraft, create_opportunity, discover_activity, get_opportunity
from alignment.people import find_person, get_person, upsert_person
from alignment.sweeps import sweep
from lti_tool.registrations import DeploymentStatus, deployment_seen_at_launch, find_registration
from sweetspot.runtime import Runtime
from tests.integration.conftest import World
from tests.integration.lti.conftest import INSTITUTION_ADMIN, INSTRUCTOR, MENTOR, Platform, launch
from xapi_listener.credentials import list_credentials


@pytest.fixture
def catalogue(runtime: Runtime, world: World) -> None:
    """Three opportunities and an org agenda that needs SQL, so Ana's roadmap has a sweet spot and an uphill item."""
    with runtime.unit_of_work() as uow:
        create_opportunity(
            uow, world.tenant.id, OpportunityDraft("Python for analysts", "course", 6, {world.python.id: 1})
        )
        create_opportunity(uow, world.tenant.id, OpportunityDraft("SQL joins", "module", 3, {world.sql.id: 1}))
        create_opportunity(
            uow, world.tenant.id, OpportunityDraft("Swahili basics", "course", 10, {world.swahili.id: 1})
        )
        needs = {
            world.python.id: (3, "Our reports move to Python this year."),
            world.sql.id: (2, "Every analyst queries the warehouse."),
        }
        set_org_agenda(uow, world.tenant.id, world.course.id, needs)
        uow.commit()


def csrf(page: str) -> str:
    """The CSRF token a page's form carries."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the form has a CSRF token"
    return found.group(1)


def test_a_learners_first_launch_greets_them_and_opens_the_agenda_form(
    client: FlaskClient, platform: Platform, catalogue: None
) -> None:
    launch(client, platform)
    start = client.get("/app/")
    assert start.status_code == 302 and start.location.endswith("/app/agenda")
    page = client.get("/app/agenda").text
    assert "Welcome, Ana Alves" in page
    assert "Python" in page and "top priority" in page


def test_saving_the_agenda_plans_a_roadmap_with_badges_reasons_and_the_orgs_why(
    client: FlaskClient, runtime: Runtime, world: World, platform: Platform, catalogue: None
) -> None:
    launch(client, platform)
    token = csrf(client.get("/app/agenda").text)
    saved = client.post(
        "/app/agenda",
        data={
            "csrf_token": token,
            f"skill-{world.python.id}": "3",
            f"skill-{world.swahili.id}": "0",
            "weekly_hours": "3",
            "aspirations": "Lead the analytics guild",
        },
    )
    assert saved.status_code == 303 and saved.location.endswith("/app/roadmap")
    roadmap = client.get("/app/roadmap").text
    assert "Python for analysts" in roadmap and "Sweet spot" in roadmap
    assert "SQL joins" in roadmap and "Uphill" in roadmap
    assert roadmap.count("Every analyst queries the warehouse.") == 1, "the why is said once, in the reason"
    assert "Swahili basics" not in roadmap.split("Where your opportunities fall")[0], "waste is never planned"
    assert "Re-planned on" in roadmap
    assert "<svg" in roadmap and "The chart as a table" in roadmap
    with runtime.unit_of_work(read_only=True) as uow:
        agenda = current_personal_agenda(uow, world.tenant.id, world.ana.id)
        assert agenda is not None and agenda.weekly_hours == 3


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("skill-{python}", "7", "interest"), ("weekly_hours", "100", "weekly_hours"), ("skill-999999", "2", "catalogue")],
)
def test_a_bad_agenda_is_refused_on_the_page_and_nothing_changes(
    client: FlaskClient, runtime: Runtime, world: World, platform: Platform, field: str, value: str, message: str
) -> None:
    launch(client, platform)
    token = csrf(client.get("/app/agenda").text)
    response = client.post("/app/agenda", data={"csrf_token": token, field.format(python=world.python.id): value})
    assert response.status_code == 400
    assert message in response.text
    with runtime.unit_of_work(read_only=True) as uow:
        assert current_personal_agenda(uow, world.tenant.id, world.ana.id) is None


def test_a_form_without_its_csrf_token_is_refused(
    client: FlaskClient, runtime: Runtime, world: World, platform: Platform
) -> None:
    launch(client, platform)
    response = client.post("/app/agenda", data={"weekly_hours": "3"})
    assert response.status_code == 400
    assert "CSRF" in response.text
    with runtime.unit_of_work(read_only=True) as uow:
        assert current_personal_agenda(uow, world.tenant.id, world.ana.id) is None


def test_a_learner_cannot_open_manager_or_admin_pages(client: FlaskClient, platform: Platform) -> None:
    launch(client, platform)
    assert client.get("/app/team").status_code == 403
    assert client.get("/app/admin/").status_code == 403


@pytest.fixture
def flagged(runtime: Runtime, world: World) -> None:
    """Ana and Ben have never started: the sweep, run two months on, flags them."""
    with runtime.unit_of_work() as uow:
        sweep(uow, world.tenant.id, datetime.now(UTC) + timedelta(days=60))
        uow.commit()


def test_a_manager_sees_the_team_opens_a_flag_and_acknowledges_then_resolves_it(
    client: FlaskClient, runtime: Runtime, world: World, platform: Platform, catalogue: None, flagged: None
) -> None:
    launch(client, platform, sub="u-maria", name="Maria Manager", ROLES=[INSTRUCTOR])
    assert client.get("/app/").location.endswith("/app/team")
    team = client.get("/app/team?sort=flags").text
    assert "Ana Alves" in team and "Ben Brown" in team and "never started" in team
    detail = client.get(f"/app/team/{world.ana.id}").text
    assert "Suggested conversation" in detail
    with runtime.unit_of_work(read_only=True) as uow:
        flag = next(
            f for f in flags_of(uow, world.tenant.id, world.course.id, world.ana.id) if f.rule == "never_started"
        )
    token = csrf(detail)
    acknowledged = client.post(f"/app/flags/{flag.id}", data={"csrf_token": token, "action": "acknowledge", "note": ""})
    assert acknowledged.status_code == 303
    assert "Flag acknowledged" in client.get(f"/app/team/{world.ana.id}").text
    refused = client.post(f"/app/flags/{flag.id}", data={"csrf_token": token, "action": "resolve", "note": ""})
    assert refused.status_code == 303
    assert "note" in client.get(f"/app/team/{world.ana.id}").text
    client.post(
        f"/app/flags/{flag.id}", data={"csrf_token": token, "action": "resolve", "note": "Talked; roadmap fits."}
    )
    with runtime.unit_of_work(read_only=True) as uow:
        assert flag.id not in {f.id for f in flags_of(uow, world.tenant.id, world.course.id, world.ana.id)}


def test_a_manager_cannot_open_a_learner_of_another_tenant_or_course(
    client: FlaskClient, runtime: Runtime, world: World, platform: Platform
) -> None:
    with runtime.unit_of_work() as uow:
        stranger = upsert_person(uow, world.other_tenant.id, "u-x", "Xavier Other")
        uow.commit()
    launch(client, platform, sub="u-maria", ROLES=[INSTRUCTOR])
    assert client.get(f"/app/team/{stranger.id}").status_code == 404
    assert client.get("/app/team?sort=salary").status_code == 400


def test_a_mentor_sees_only_their_mentees(client: FlaskClient, world: World, platform: Platform) -> None:
    launch(client, platform, sub="u-mentor", name="Mo Mentor", ROLES=[MENTOR], ROLE_SCOPE_MENTOR=["u-ben"])
    team = client.get("/app/team").text
    assert "Ben Brown" in team and "Ana Alves" not in team
    assert client.get(f"/app/team/{world.ana.id}").status_code == 404


def test_an_admin_activates_a_pending_deployment_and_creates_an_xapi_credential_shown_once(
    client: FlaskClient, runtime: Runtime, world: World, platform: Platform
) -> None:
    with runtime.unit_of_work() as uow:
        registration = find_registration(uow, platform.issuer, platform.client_id)
        assert registration is not None
        pending = deployment_seen_at_launch(uow, registration, "course-7")
        uow.commit()
    assert pending.status is DeploymentStatus.PENDING
    launch(client, platform, sub="u-admin", ROLES=[INSTITUTION_ADMIN])
    page = client.get("/app/admin/").text
    assert "course-7" in page and "Activate" in page
    client.post(f"/app/admin/deployments/{pending.id}", data={"csrf_token": csrf(page), "status": "active"})
    assert "Deployment course-7 is active" in client.get("/app/admin/").text
    created = client.post("/app/admin/credentials", data={"csrf_token": csrf(page), "label": "Moodle logstore"}).text
    secret = re.search(r'Secret: <span class="secret">([^<]+)</span>', created)
    assert secret is not None
    assert secret.group(1) not in client.get("/app/admin/").text, "the secret is shown once"
    for_v2 = {"csrf_token": csrf(page), "label": "cmi5 player", "xapi_version": "2.0.0"}
    assert "cmi5 player" in client.post("/app/admin/credentials", data=for_v2).text
    with runtime.unit_of_work(read_only=True) as uow:
        issued = {c.label: c.xapi_version for c in list_credentials(uow, world.tenant.id)}
    assert issued == {"Moodle logstore": "1.0.3", "cmi5 player": "2.0.0"}
    refused = client.post("/app/admin/credentials", data={**for_v2, "xapi_version": "0.95"})
    assert refused.status_code == 400 and "xapi_version must be one of 1.0.3, 2.0.0" in refused.text


def test_pages_are_framed_only_by_the_launching_platform(client: FlaskClient, platform: Platform) -> None:
    launch(client, platform)
    policy = client.get("/app/agenda").headers["Content-Security-Policy"]
    assert f"frame-ancestors 'self' {platform.issuer}" in policy
    assert "script-src 'self'" in policy


def test_a_manager_sets_the_org_agenda_and_a_missing_why_is_refused(
    client: FlaskClient, runtime: Runtime, world: World, platform: Platform, catalogue: None
) -> None:
    launch(client, platform, sub="u-maria", name="Maria Manager", ROLES=[INSTRUCTOR])
    page = client.get("/app/org-agenda").text
    assert "Our reports move to Python this year." in page
    refused = client.post(
        "/app/org-agenda", data={"csrf_token": csrf(page), f"need-{world.excel.id}": "3", f"why-{world.excel.id}": ""}
    )
    assert refused.status_code == 400 and "a why is required" in refused.text
    saved = client.post(
        "/app/org-agenda",
        data={
            "csrf_token": csrf(page),
            f"need-{world.excel.id}": "2",
            f"why-{world.excel.id}": "Budgets live in Excel.",
        },
    )
    assert saved.status_code == 303
    with runtime.unit_of_work(read_only=True) as uow:
        agenda = current_org_agenda(uow, world.tenant.id, world.course.id)
        assert agenda is not None and agenda.needs[world.excel.id].why == "Budgets live in Excel."


def test_a_manager_sets_the_agenda_for_a_role_over_the_courses(
    client: FlaskClient, runtime: Runtime, world: World, platform: Platform, catalogue: None
) -> None:
    launch(client, platform, CUSTOM={"role_label": "Data engineer"})  # Ana
    launch(client, platform, sub="u-maria", name="Maria Manager", ROLES=[INSTRUCTOR])
    course_page = client.get("/app/org-agenda").text
    assert 'href="/app/org-agenda?role=Data+engineer"' in course_page  # a role Ana holds
    page = client.get("/app/org-agenda?role=Data  engineer").text
    assert "What the organisation needs in this course of the role Data engineer" in page
    # Each skill starts as for the whole course: saving that names none, so the course's agenda holds.
    assert page.count('value="" checked') == 4
    refused = client.post(
        "/app/org-agenda?role=Data+engineer",
        data={"csrf_token": csrf(page), f"need-{world.excel.id}": "3", f"why-{world.excel.id}": " "},
    )
    assert refused.status_code == 400 and "a why is required" in refused.text
    assert 'value="" checked' in refused.text and f'name="need-{world.excel.id}" value="3" checked' in refused.text
    saved = client.post(
        "/app/org-agenda?role=Data+engineer",
        data={
            "csrf_token": csrf(page),
            f"need-{world.python.id}": "0",
            f"need-{world.sql.id}": "",
            f"need-{world.excel.id}": "3",
            f"why-{world.excel.id}": "Engineers hand over in Excel.",
        },
    )
    assert saved.status_code == 303 and saved.headers["Location"].endswith("/app/org-agenda?role=Data+engineer")
    with runtime.unit_of_work(read_only=True) as uow:
        role = current_org_agenda(uow, world.tenant.id, world.course.id, "Data engineer")
        course = current_org_agenda(uow, world.tenant.id, world.course.id)
    assert role is not None and {s: n.need.value for s, n in role.needs.items()} == {
        world.python.id: 0,
        world.excel.id: 3,
    }
    assert course is not None and course.version == 1, "the course's agenda is untouched"
    shown = client.get("/app/org-agenda?role=Data+engineer").text
    assert f'name="need-{world.sql.id}" value="" checked' in shown
    assert f'name="need-{world.python.id}" value="0" checked' in shown
    escaped = client.get("/app/org-agenda?role=<b>Boss</b>").text
    assert "<b>Boss</b>" not in escaped and "&lt;b&gt;Boss&lt;/b&gt;" in escaped


def test_the_team_page_shows_where_each_opportunity_falls_across_the_team(
    client: FlaskClient, platform: Platform, catalogue: None
) -> None:
    launch(client, platform, sub="u-maria", name="Maria Manager", ROLES=[INSTRUCTOR])
    team = client.get("/app/team").text
    assert "Where the team&#39;s sweet spot is" in team or "Where the team's sweet spot is" in team
    assert "Swahili basics" in team


def test_an_admin_connects_an_upstream_lrs_and_a_bad_url_is_refused(
    client: FlaskClient, runtime: Runtime, world: World, platform: Platform
) -> None:
    launch(client, platform, sub="u-admin", name="Ada Admin", ROLES=[INSTITUTION_ADMIN])
    token = csrf(client.get("/app/admin/").text)
    form = {
        "csrf_token": token,
        "endpoint": "https://lrs.acme.test/xapi/",
        "key": "k",
        "secret": "s3cret",
        "label": "LL",
    }
    assert client.post("/app/admin/connections", data=form).status_code == 303
    page = client.get("/app/admin/").text
    assert "https://lrs.acme.test/xapi/" in page and "s3cret" not in page
    listed = client.get("/app/admin/").text
    assert "<code>https://lrs.acme.test/xapi/</code>" in listed, "the connection is listed, not only flashed"
    refused = client.post("/app/admin/connections", data={**form, "endpoint": "ftp://nope"})
    assert refused.status_code == 400


def test_a_manager_tags_a_discovered_activity_with_skills_and_it_joins_roadmaps(
    client: FlaskClient, runtime: Runtime, world: World, platform: Platform, catalogue: None
) -> None:
    with runtime.unit_of_work() as uow:
        found = discover_activity(uow, world.tenant.id, "https://lms.acme.test/activities/sql-window", "SQL windows")
        uow.commit()
    assert found is not None
    launch(client, platform, sub="u-maria", name="Maria Manager", ROLES=[INSTRUCTOR])
    listing = client.get("/app/opportunities").text
    assert "waiting for skills" in listing and "SQL windows" in listing
    page = client.get(f"/app/opportunities/{found.id}").text
    form = {
        "csrf_token": csrf(page),
        "title": "SQL window functions",
        "kind": "module",
        "effort_hours": "2",
        f"weight-{world.sql.id}": "1",
        "activity_ids": "https://lms.acme.test/activities/sql-window",
    }
    refused = client.post(f"/app/opportunities/{found.id}", data={**form, "effort_hours": "lots"})
    assert refused.status_code == 400 and "effort hours must be a number" in refused.text
    assert client.post(f"/app/opportunities/{found.id}", data=form).status_code == 303
    with runtime.unit_of_work(read_only=True) as uow:
        tagged = get_opportunity(uow, world.tenant.id, found.id)
    assert (tagged.status, tagged.title, dict(tagged.skills)) == ("active", "SQL window functions", {world.sql.id: 1.0})


def test_a_manager_sets_the_team_objective_and_sees_its_key_results(
    client: FlaskClient, platform: Platform, catalogue: None
) -> None:
    launch(client, platform, sub="u-maria", name="Maria Manager", ROLES=[INSTRUCTOR])
    page = client.get("/app/objective?quarter=2026-Q4")
    assert "no learning objective for 2026-Q4" in page.text
    form = {
        "csrf_token": csrf(page.text),
        "statement": "Everyone grows where we need it",
        "target-uphill_started": "60",
    }
    refused = client.post("/app/objective?quarter=2026-Q4", data={**form, "target-uphill_started": "150"})
    assert refused.status_code == 400 and "target" in refused.text
    assert client.post("/app/objective?quarter=2026-Q4", data=form).status_code == 303
    shown = client.get("/app/objective?quarter=2026-Q4").text
    assert "Everyone grows where we need it" in shown and "60%" in shown


def test_an_admin_imports_a_skill_framework_and_a_broken_file_changes_nothing(
    client: FlaskClient, runtime: Runtime, world: World, platform: Platform
) -> None:
    launch(client, platform, sub="u-admin", name="Ada Admin", ROLES=[INSTITUTION_ADMIN])
    token = csrf(client.get("/app/admin/").text)
    csv_file = (
        io.BytesIO(b"name,category,uri,description\nKotlin,Engineering,,\nNegotiation,Leadership,,\n"),
        "skills.csv",
    )
    done = client.post("/app/admin/skills", data={"csrf_token": token, "framework": csv_file}, follow_redirects=True)
    assert "2 skills created" in done.text
    with runtime.unit_of_work(read_only=True) as uow:
        before = {s.name for s in list_skills(uow, world.tenant.id)}
    assert {"Kotlin", "Negotiation"} <= before
    broken = client.post(
        "/app/admin/skills", data={"csrf_token": token, "framework": (io.BytesIO(b"{not json"), "case.json")}
    )
    assert broken.status_code == 400 and "not valid JSON" in broken.text
    with runtime.unit_of_work(read_only=True) as uow:
        assert {s.name for s in list_skills(uow, world.tenant.id)} == before


def test_an_admin_imports_a_people_file_and_only_an_admin_may(
    client: FlaskClient, runtime: Runtime, world: World, platform: Platform
) -> None:
    launch(client, platform, sub="u-admin", name="Ada Admin", ROLES=[INSTITUTION_ADMIN])
    token = csrf(client.get("/app/admin/").text)
    people = (
        io.BytesIO(b"lms_user_id,email,role_started_on,role_label\nu-ben,,2019-03-01,Sales\n,x@y.test,,\n"),
        "hr.csv",
    )
    done = client.post("/app/admin/people", data={"csrf_token": token, "people": people}, follow_redirects=True)
    assert "hr.csv: 0 added, 1 updated, 0 unchanged." in done.text
    assert "1 roadmap re-planned for a new role." in done.text  # Ben's first, under his role's agenda
    assert "No one has the email on line(s) 3, so those lines were not imported." in done.text
    with runtime.unit_of_work(read_only=True) as uow:
        ben = get_person(uow, world.tenant.id, world.ben.id)
    assert (ben.role_started_on, ben.role_label) == (date(2019, 3, 1), "Sales")

    future = (io.BytesIO(b"lms_user_id,role_started_on\nu-ana,2999-01-01\n"), "hr.csv")
    refused = client.post("/app/admin/people", data={"csrf_token": token, "people": future})
    assert refused.status_code == 400 and "line 2: role_started_on must not be after today" in refused.text
    latin1 = (io.BytesIO("lms_user_id,role_label\nu-ana,Técnica\n".encode("latin-1")), "hr.csv")
    not_utf8 = client.post("/app/admin/people", data={"csrf_token": token, "people": latin1})
    assert not_utf8.status_code == 400 and "hr.csv is not UTF-8 text." in not_utf8.text
    nothing = client.post("/app/admin/people", data={"csrf_token": token})
    assert nothing.status_code == 400 and "Choose a people CSV file to import." in nothing.text
    no_token = client.post("/app/admin/people", data={"people": (io.BytesIO(b"lms_user_id\nu-ana\n"), "hr.csv")})
    assert no_token.status_code == 400
    with runtime.unit_of_work(read_only=True) as uow:
        assert get_person(uow, world.tenant.id, world.ana.id).role_started_on is None

    launch(client, platform)
    learner = {
        "csrf_token": csrf(client.get("/app/agenda").text),
        "people": (io.BytesIO(b"lms_user_id\nu-x\n"), "a.csv"),
    }
    assert client.post("/app/admin/people", data=learner).status_code == 403
    with runtime.unit_of_work(read_only=True) as uow:
        assert find_person(uow, world.tenant.id, "u-x") is None
