"""The admin's stall-rule settings page: a preview of what each rule would flag today that writes nothing,
saving as the next policy version that the next sweep uses, bad values refused with a message naming the
setting, a stale form refused, and nobody but the tenant's own admins reaching it."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from alignment.flags import StallFlagRecord
from alignment.people import MembershipRecord
from alignment.policies import PolicyRecord, current_policy, set_policy
from alignment.policy_previews import PolicyPreviewRecord
from alignment.roadmaps import RoadmapRecord
from alignment.rules.stalls import StallRule
from alignment.sweeps import MomentumRecord, sweep
from lti_tool.registrations import PlatformDraft, add_deployment, add_registration
from sweetspot.jobs import build_jobs
from sweetspot.runtime import Runtime
from tests.integration.conftest import World
from tests.integration.lti.conftest import INSTITUTION_ADMIN, INSTRUCTOR, Platform, launch
from tests.integration.lti.test_pages import catalogue, csrf

__all__ = ["catalogue"]  # the pages' tests' fixture, used here by name

SETTINGS_PAGE = "/app/admin/policy"


@pytest.fixture
def three_weeks_in(runtime: Runtime, world: World, catalogue: None) -> None:
    """Ana and Ben joined the course three weeks ago and have learned nothing since."""
    with runtime.unit_of_work() as uow:
        uow.session.execute(
            update(MembershipRecord)
            .where(MembershipRecord.context_id == world.course.id)
            .values(joined_at=datetime.now(UTC) - timedelta(days=21))
        )
        uow.commit()


def form(page: str, **changes: str) -> dict[str, str]:
    """The settings form as the page filled it in, with `changes`."""
    fields = dict(
        re.findall(r'<input id="(\w+)" name="\w+" type="text" inputmode="decimal" required value="([^"]*)"', page)
    )
    version = re.search(r'name="version" value="(\d+)"', page)
    assert fields and version, "the page has the settings form"
    return {"csrf_token": csrf(page), "version": version.group(1), **fields, **changes}


def preview_row(page: str, rule: str) -> list[str]:
    """The preview table's cells for one rule: its name, the count now, with the proposed values, the difference."""
    row = re.search(rf"<tr><th scope=\"row\">{rule}</th>(.*?)</tr>", page, re.DOTALL)
    assert row, f"the preview has a row for {rule}"
    return [rule, *re.findall(r"<td>\s*([^<]*?)\s*</td>", row.group(1))]


def stored_rows(runtime: Runtime) -> tuple[int, ...]:
    """How many policies, roadmap versions, flags and momentum scores are stored."""
    with runtime.unit_of_work(read_only=True) as uow:
        return tuple(
            uow.session.scalar(select(func.count()).select_from(table)) or 0
            for table in (PolicyRecord, RoadmapRecord, StallFlagRecord, MomentumRecord)
        )


def as_admin(client: FlaskClient, platform: Platform) -> str:
    """Launch as Acme's admin and open the settings page."""
    launch(client, platform, sub="u-admin", name="Ada Admin", ROLES=[INSTITUTION_ADMIN])
    page = client.get(SETTINGS_PAGE)
    assert page.status_code == 200
    return page.text


def test_the_admin_page_leads_to_the_settings_and_the_form_shows_the_policy_in_force(
    client: FlaskClient, platform: Platform
) -> None:
    launch(client, platform, sub="u-admin", name="Ada Admin", ROLES=[INSTITUTION_ADMIN])
    assert 'href="/app/admin/policy"' in client.get("/app/admin/").text
    page = client.get(SETTINGS_PAGE).text
    assert "The defaults: nobody has changed these settings yet." in page
    fields = form(page)
    assert (fields["version"], fields["never_started_days"], fields["slip_share"]) == ("0", "14", "0.25")


def run_queued_previews(runtime: Runtime) -> int:
    """Work out the previews the page queued, as the job worker would (other jobs are dropped); return how many."""
    queued = build_jobs(runtime).queue
    ran = 0
    while (task := queued.dequeue()) is not None:
        if task.name == "policy_preview":
            queued.execute(task)
            ran += 1
    return ran


def test_a_preview_is_worked_out_by_a_job_and_counts_what_each_rule_would_flag_today_writing_nothing(
    client: FlaskClient, runtime: Runtime, world: World, platform: Platform, three_weeks_in: None
) -> None:
    with runtime.unit_of_work() as uow:
        sweep(uow, world.tenant.id, datetime.now(UTC))
        uow.commit()
    page = as_admin(client, platform)
    before = stored_rows(runtime)
    asked = client.post(SETTINGS_PAGE, data=form(page, action="preview", never_started_days="30"))
    assert asked.status_code == 303 and re.search(r"/app/admin/policy\?preview=\d+$", asked.location)
    waiting = client.get(asked.location).text
    assert "Preview: working it out" in waiting and 'data-reload-after="3"' in waiting
    assert "reload-while-waiting.js" in waiting
    assert form(waiting)["never_started_days"] == "30", "the form shows the proposed values meanwhile"

    assert run_queued_previews(runtime) == 1

    shown = client.get(asked.location)
    assert shown.status_code == 200 and "reload-while-waiting.js" not in shown.text
    assert preview_row(shown.text, "Never started") == ["Never started", "2", "0", "−2"]
    assert preview_row(shown.text, "Any rule") == ["Any rule", "2", "0", "−2"]
    assert "Nothing has been saved yet." in shown.text
    assert form(shown.text)["never_started_days"] == "30" and form(shown.text)["version"] == "0"
    replanning = client.post(SETTINGS_PAGE, data=form(page, action="preview", org_threshold="0.1"))
    run_queued_previews(runtime)
    assert "saving them re-plans every roadmap" in client.get(replanning.location).text
    assert stored_rows(runtime) == before, "a preview stores no policy, roadmap, flag or score"

    # Saving from the preview's page is checked against the version the preview was based on.
    saved = client.post(SETTINGS_PAGE, data=form(shown.text, action="save"))
    assert saved.status_code == 303
    with runtime.unit_of_work(read_only=True) as uow:
        assert current_policy(uow, world.tenant.id).policy.stall.never_started_days == 30


def test_a_preview_that_fails_says_so_and_a_preview_is_its_tenants_only(
    client: FlaskClient, runtime: Runtime, world: World, platform: Platform
) -> None:
    page = as_admin(client, platform)
    asked = client.post(SETTINGS_PAGE, data=form(page, action="preview", quiet_days="7"))
    with runtime.unit_of_work() as uow:  # values no policy can have: the job cannot work the preview out
        uow.session.execute(update(PolicyPreviewRecord).values(proposed={"quiet_days": 0}))
        uow.commit()
    assert run_queued_previews(runtime) == 1
    failed = client.get(asked.location).text
    assert "The preview could not be worked out." in failed and "reload-while-waiting.js" not in failed
    assert client.get(SETTINGS_PAGE + "?preview=nope").status_code == 404
    assert client.get(SETTINGS_PAGE + "?preview=999999").status_code == 404

    other = Platform(**{**platform.__dict__, "issuer": f"https://lms-{uuid.uuid4().hex[:8]}.globex.test"})
    with runtime.unit_of_work() as uow:
        draft = PlatformDraft(
            other.issuer, other.client_id, other.issuer + "/auth", other.issuer + "/token", other.jwks_url
        )
        add_deployment(uow, add_registration(uow, world.other_tenant.id, draft), other.deployment_id)
        uow.commit()
    launch(client, other, sub="u-globex-admin", name="Gil Globex", ROLES=[INSTITUTION_ADMIN])
    assert client.get(asked.location).status_code == 404, "another tenant's admin does not see Acme's preview"


def test_saving_keeps_the_next_version_and_the_next_sweep_uses_it(
    client: FlaskClient, runtime: Runtime, world: World, platform: Platform, three_weeks_in: None
) -> None:
    page = as_admin(client, platform)
    saved = client.post(SETTINGS_PAGE, data=form(page, action="save", never_started_days="30", quiet_days="21"))
    assert saved.status_code == 303 and saved.location.endswith(SETTINGS_PAGE)
    again = client.get(SETTINGS_PAGE).text
    assert "The settings are saved as version 1; the next sweep uses them." in again
    assert form(again)["version"] == "1" and form(again)["never_started_days"] == "30"
    with runtime.unit_of_work() as uow:
        stored = current_policy(uow, world.tenant.id)
        report = sweep(uow, world.tenant.id, datetime.now(UTC))
        uow.commit()
    assert (stored.version, stored.policy.stall.never_started_days, stored.policy.stall.quiet_days) == (1, 30, 21)
    assert stored.changed_by_id is not None
    assert not any(f.rule is StallRule.NEVER_STARTED for r in report.learners for f in r.findings)
    replanned = client.post(SETTINGS_PAGE, data=form(again, action="save", org_threshold="0.9"), follow_redirects=True)
    assert "version 2" in replanned.text and "roadmaps were re-planned" in replanned.text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("quiet_days", "0", "Must be from 1 to 3,650."),
        ("quiet_days", "1.5", "Must be a whole number of days."),
        ("slip_share", "lots", "lots is not a number."),
        ("plateau_drop_ratio", "1", "Must be more than 0 and less than 1."),
        ("org_threshold", "", "Enter a number."),
        ("gift_budget_hours_per_quarter", "inf", "inf is not a number."),
        ("personal_threshold", "0", "Must be more than 0 and at most 1."),
    ],
)
@pytest.mark.parametrize("action", ["preview", "save"])
def test_a_bad_value_is_refused_with_a_message_naming_it_and_nothing_changes(
    client: FlaskClient, runtime: Runtime, platform: Platform, field: str, value: str, message: str, action: str
) -> None:
    page = as_admin(client, platform)
    before = stored_rows(runtime)
    refused = client.post(SETTINGS_PAGE, data=form(page, action=action, **{field: value}))
    assert refused.status_code == 400
    assert message in refused.text
    assert f'id="{field}-error"' in refused.text and 'aria-invalid="true"' in refused.text
    assert "Nothing was saved: 1 setting needs a change." in refused.text
    assert "Preview: learners" not in refused.text
    assert stored_rows(runtime) == before


def test_a_stale_form_is_refused_and_shows_the_settings_as_they_are_now(
    client: FlaskClient, runtime: Runtime, world: World, platform: Platform
) -> None:
    page = as_admin(client, platform)
    with runtime.unit_of_work() as uow:
        set_policy(uow, world.tenant.id, {"quiet_days": 30}, now=datetime.now(UTC))
        uow.commit()
    refused = client.post(SETTINGS_PAGE, data=form(page, action="save", quiet_days="7"))
    assert refused.status_code == 409
    assert "someone saved these settings after you opened the page" in refused.text
    assert form(refused.text)["quiet_days"] == "30" and form(refused.text)["version"] == "1"
    with runtime.unit_of_work(read_only=True) as uow:
        stored = current_policy(uow, world.tenant.id)
    assert (stored.version, stored.policy.stall.quiet_days) == (1, 30)


def test_only_admins_reach_the_settings_and_every_post_needs_its_csrf_token(
    client: FlaskClient, runtime: Runtime, platform: Platform
) -> None:
    page = as_admin(client, platform)
    without_token = {k: v for k, v in form(page, action="save", quiet_days="7").items() if k != "csrf_token"}
    assert client.post(SETTINGS_PAGE, data=without_token).status_code == 400
    launch(client, platform, sub="u-maria", name="Maria Manager", ROLES=[INSTRUCTOR])
    assert client.get(SETTINGS_PAGE).status_code == 403
    token = csrf(client.get("/app/org-agenda").text)
    manager = {**form(page, action="save", quiet_days="7"), "csrf_token": token}
    assert client.post(SETTINGS_PAGE, data=manager).status_code == 403
    launch(client, platform)
    assert client.get(SETTINGS_PAGE).status_code == 403
    learner = {**form(page, action="preview"), "csrf_token": csrf(client.get("/app/agenda").text)}
    assert client.post(SETTINGS_PAGE, data=learner).status_code == 403
    assert stored_rows(runtime)[0] == 0, "no policy was stored"


def test_another_tenants_admin_changes_only_their_own_tenants_settings(
    client: FlaskClient, runtime: Runtime, world: World, platform: Platform
) -> None:
    other = Platform(**{**platform.__dict__, "issuer": f"https://lms-{uuid.uuid4().hex[:8]}.globex.test"})
    with runtime.unit_of_work() as uow:
        registration = add_registration(
            uow,
            world.other_tenant.id,
            PlatformDraft(
                other.issuer, other.client_id, other.issuer + "/auth", other.issuer + "/token", other.jwks_url
            ),
        )
        add_deployment(uow, registration, other.deployment_id)
        uow.commit()
    launch(client, other, sub="u-globex-admin", name="Gil Globex", ROLES=[INSTITUTION_ADMIN])
    page = client.get(SETTINGS_PAGE).text
    assert client.post(SETTINGS_PAGE, data=form(page, action="save", quiet_days="7")).status_code == 303
    with runtime.unit_of_work(read_only=True) as uow:
        assert current_policy(uow, world.other_tenant.id).policy.stall.quiet_days == 7
        assert current_policy(uow, world.tenant.id).version == 0


def test_the_settings_page_speaks_spanish_with_spanish_numbers(client: FlaskClient, platform: Platform) -> None:
    launch(
        client, platform, sub="u-admin", name="Ada Admin", ROLES=[INSTITUTION_ADMIN],
        LAUNCH_PRESENTATION={"locale": "es-ES", "document_target": "iframe"},
    )  # fmt: skip
    page = client.get(SETTINGS_PAGE).text
    assert "Reglas de estancamiento y ajustes de planificación" in page
    refused = client.post(SETTINGS_PAGE, data=form(page, action="save", quiet_days="0", slip_share="0"))
    assert "Debe estar entre 1 y 3.650." in refused.text
    assert "Debe ser mayor que 0 y como máximo 10." in refused.text
