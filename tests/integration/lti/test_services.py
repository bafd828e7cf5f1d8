"""NRPS roster sync and AGS write-back against a platform's services over real HTTP, with real token crypto."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import jwt
import pytest
from flask import Flask
from flask.testing import FlaskClient

from alignment.flags import reconcile
from alignment.messages import verbatim
from alignment.people import Role, find_context, get_context, roster, upsert_context
from alignment.rules.stalls import Finding, Severity, StallRule
from alignment.sweeps import MomentumRecord
from alignment.tenancy import Tenant
from lti_tool.grades import MomentumLineItemRecord, mark_scores_due, push_scores, score_status
from lti_tool.registrations import (
    PlatformDraft,
    add_deployment,
    add_registration,
    find_registration,
    remember_service_links,
)
from lti_tool.roster import sync_roster
from lti_tool.services import PlatformClient, ServiceError
from sweetspot.jobs import build_jobs, platform_client
from sweetspot.runtime import Runtime
from tests.conftest import Cli
from tests.integration.conftest import World
from tests.integration.lti.conftest import INSTRUCTOR, Platform, launch
from tests.integration.lti.service_platform import (
    LINEITEM_SCOPE,
    NRPS_SCOPE,
    SCORE_SCOPE,
    ServicePlatform,
    member,
    serve,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@dataclass
class Lms:
    """A platform registered for a tenant, with one course whose service URLs a launch has named."""

    platform: ServicePlatform
    registration_id: int
    context_id: int
    tenant_id: int


@pytest.fixture
def tool_url(app: Flask) -> Iterator[str]:
    """The tool served over real HTTP, so the platform can fetch /lti/jwks.json."""
    yield from serve(app)


@pytest.fixture
def make_lms(runtime: Runtime, tool_url: str) -> Iterator[Callable[[Tenant, str], Lms]]:
    """Start a platform for a tenant's course and register it as a launch from that course would."""
    servers: list[Iterator[str]] = []

    def make(tenant: Tenant, lms_context_id: str = "course-101") -> Lms:
        platform = ServicePlatform(url="", client_id="sweetspot-client", tool_jwks_url=tool_url + "/lti/jwks.json")
        server = serve(platform)
        servers.append(server)
        platform.url = next(server)
        with runtime.unit_of_work() as uow:
            registration = add_registration(
                uow,
                tenant.id,
                PlatformDraft(
                    issuer=platform.url,
                    client_id=platform.client_id,
                    auth_login_url=platform.url + "/auth",
                    auth_token_url=platform.token_url,
                    key_set_url=platform.url + "/jwks",
                ),
            )
            add_deployment(uow, registration, "deployment-1")
            context = upsert_context(uow, tenant.id, lms_context_id, "Data skills for analysts")
            remember_service_links(
                uow,
                registration.id,
                context.id,
                "deployment-1",
                platform.lineitems_url,
                [LINEITEM_SCOPE, SCORE_SCOPE],
                platform.memberships_url,
            )
            uow.commit()
        return Lms(platform, registration.id, context.id, tenant.id)

    yield make
    for server in servers:
        server.close()


@pytest.fixture
def lms(make_lms: Callable[[Tenant, str], Lms], world: World) -> Lms:
    """Acme's platform with the course the world already has."""
    return make_lms(world.tenant, "course-101")


@pytest.fixture
def services(runtime: Runtime) -> PlatformClient:
    """The tool's service client with an empty token cache."""
    return platform_client(runtime)


def on_roster(runtime: Runtime, tenant_id: int, context_id: int, role: Role) -> list[str]:
    """The LMS user ids on the context's active roster in `role`."""
    with runtime.unit_of_work(read_only=True) as uow:
        context = get_context(uow, tenant_id, context_id)
        return sorted(str(m.person.lms_user_id) for m in roster(uow, context, role))


def sync(runtime: Runtime, services: PlatformClient, lms: Lms, now: datetime = NOW) -> None:
    """One roster sync of the LMS's course."""
    sync_roster(runtime.unit_of_work, services, lms.registration_id, lms.context_id, now)


# --- NRPS ---


def test_a_roster_sync_reads_every_page_and_knows_learners_who_never_launched(
    runtime: Runtime, lms: Lms, services: PlatformClient
) -> None:
    lms.platform.put(
        member("u-ana", name="Ana Alves"),
        member("u-ben"),
        member("u-cat", name="Cat Cole", email="cat@acme.test"),
        member("u-dan", given_name="Dan", family_name="Dunn"),
        member("u-maria", "Instructor"),
        member("u-tom", roles=["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"]),
    )
    sync(runtime, services, lms)

    pages = [r for r in lms.platform.requests if r.startswith("GET /nrps/")]
    assert len(pages) == 3, pages
    assert on_roster(runtime, lms.tenant_id, lms.context_id, Role.LEARNER) == ["u-ana", "u-ben", "u-cat", "u-dan"]
    assert on_roster(runtime, lms.tenant_id, lms.context_id, Role.MANAGER) == ["u-maria", "u-tom"]
    with runtime.unit_of_work(read_only=True) as uow:
        context = get_context(uow, lms.tenant_id, lms.context_id)
        names = {m.person.lms_user_id: (m.person.name, m.person.email) for m in roster(uow, context)}
    assert names["u-cat"] == ("Cat Cole", "cat@acme.test")
    assert names["u-dan"][0] == "Dan Dunn"
    assert names["u-ben"][0] == "Ben Brown", "a member without a name keeps the name a launch gave"


def test_members_marked_inactive_or_no_longer_listed_leave_the_roster(
    runtime: Runtime, lms: Lms, services: PlatformClient
) -> None:
    # The world has Ana and Ben as learners and Maria as manager; the LMS now says otherwise.
    lms.platform.put(member("u-ana"), member("u-ben", status="Inactive"), member("u-cat"))
    sync(runtime, services, lms)

    assert on_roster(runtime, lms.tenant_id, lms.context_id, Role.LEARNER) == ["u-ana", "u-cat"]
    assert on_roster(runtime, lms.tenant_id, lms.context_id, Role.MANAGER) == []


def test_a_later_sync_asks_only_for_the_differences(runtime: Runtime, lms: Lms, services: PlatformClient) -> None:
    lms.platform.put(member("u-ana"), member("u-ben"), member("u-cat"))
    sync(runtime, services, lms)
    lms.platform.requests.clear()

    lms.platform.put(member("u-dan"))
    lms.platform.remove("u-cat")
    sync(runtime, services, lms, NOW + timedelta(hours=1))

    assert all("since=" in r for r in lms.platform.requests if r.startswith("GET /nrps/")), lms.platform.requests
    assert on_roster(runtime, lms.tenant_id, lms.context_id, Role.LEARNER) == ["u-ana", "u-ben", "u-dan"]


def test_a_member_whose_roles_changed_keeps_only_the_new_role(
    runtime: Runtime, lms: Lms, services: PlatformClient
) -> None:
    lms.platform.put(member("u-ana"), member("u-ben"))
    sync(runtime, services, lms)
    lms.platform.put(member("u-ben", "Instructor"))
    sync(runtime, services, lms, NOW + timedelta(hours=1))

    assert on_roster(runtime, lms.tenant_id, lms.context_id, Role.LEARNER) == ["u-ana"]
    assert on_roster(runtime, lms.tenant_id, lms.context_id, Role.MANAGER) == ["u-ben"]


def test_a_failed_roster_sync_changes_nothing_and_is_shown_to_the_admin(
    runtime: Runtime, lms: Lms, services: PlatformClient, cli: Cli
) -> None:
    lms.platform.put(member("u-cat"))
    lms.platform.failing = True
    with pytest.raises(ServiceError, match="503"):
        sync(runtime, services, lms)

    assert on_roster(runtime, lms.tenant_id, lms.context_id, Role.LEARNER) == ["u-ana", "u-ben"]
    status = json.loads(cli("lti", "roster", "status", "--tenant", "acme", "--json").output)
    assert status[0]["last_success_at"] is None and "503" in status[0]["error"]
    synced = cli("lti", "roster", "sync", "--tenant", "acme")
    assert synced.exit_code == 1 and "maintenance" in synced.output

    lms.platform.failing = False
    synced = cli("lti", "roster", "sync", "--tenant", "acme")
    assert synced.exit_code == 0, synced.output
    assert "full sync, 1 page(s), 1 member(s), 1 joined, 3 left" in synced.output
    assert json.loads(cli("lti", "roster", "status", "--tenant", "acme", "--json").output)[0]["error"] is None


def test_a_day_after_the_last_full_sync_the_sync_is_full_again(
    runtime: Runtime, lms: Lms, services: PlatformClient
) -> None:
    lms.platform.put(member("u-ana"), member("u-ben"))
    sync(runtime, services, lms)
    lms.platform.requests.clear()

    sync(runtime, services, lms, NOW + timedelta(days=1, minutes=1))

    assert lms.platform.requests[0] == "GET /nrps/memberships"


def test_a_manager_launch_enqueues_a_roster_sync_of_the_context(
    runtime: Runtime, world: World, client: FlaskClient, platform: Platform
) -> None:
    queue = build_jobs(runtime).queue
    queue.flush()
    nrps = {"context_memberships_url": "https://lms.test/nrps", "service_versions": ["2.0"]}
    launch(client, platform, **{"ROLES": [INSTRUCTOR], "NRPS": nrps})
    launch(client, platform)  # a learner's launch enqueues nothing

    pending = queue.pending()
    queue.flush()
    with runtime.unit_of_work(read_only=True) as uow:
        registration = find_registration(uow, platform.issuer, platform.client_id)
        context = find_context(uow, world.tenant.id, "course-101")
    assert registration is not None
    assert [(task.name, task.args) for task in pending] == [("sync_roster", (registration.id, context.id))]


# --- tokens ---


def test_one_access_token_serves_every_page_and_sync_until_it_expires(
    runtime: Runtime, lms: Lms, services: PlatformClient
) -> None:
    lms.platform.put(*[member(f"u-{n}") for n in range(7)])
    sync(runtime, services, lms)
    sync(runtime, services, lms, NOW + timedelta(minutes=5))

    assert len([r for r in lms.platform.requests if r.startswith("GET /nrps/")]) >= 5
    assert len(lms.platform.token_requests) == 1
    assert lms.platform.token_requests[0]["scope"] == NRPS_SCOPE


def test_a_token_about_to_expire_is_not_reused(runtime: Runtime, lms: Lms, services: PlatformClient) -> None:
    lms.platform.token_lifetime = 30  # inside the tool's one-minute safety margin
    lms.platform.put(member("u-ana"), member("u-ben"), member("u-cat"))
    sync(runtime, services, lms)

    assert len(lms.platform.token_requests) == 2, "one token per page when each is about to expire"


def test_the_client_assertion_is_signed_with_the_tools_current_key(
    runtime: Runtime, lms: Lms, services: PlatformClient
) -> None:
    lms.platform.put(member("u-ana"))
    sync(runtime, services, lms)

    assertion = lms.platform.token_requests[0]["client_assertion"]
    assert jwt.get_unverified_header(assertion)["kid"] == runtime.keys.signing.kid
    body = jwt.decode(assertion, options={"verify_signature": False})
    assert body["iss"] == body["sub"] == "sweetspot-client"
    assert body["aud"] == lms.platform.token_url
    assert 0 < body["exp"] - body["iat"] <= 300


# --- AGS ---


def momentum_on(runtime: Runtime, world: World, person_id: int, context_id: int, score: int, progress: float) -> None:
    """Record a day's momentum as the sweep would."""
    with runtime.unit_of_work() as uow:
        uow.session.add(
            MomentumRecord(
                tenant_id=world.tenant.id,
                person_id=person_id,
                context_id=context_id,
                day=date(2026, 11, 23),
                score=score,
                parts=[{"name": "progress", "value": progress, "weight": 0.15, "detail": ""}],
            )
        )
        uow.commit()


def flag(runtime: Runtime, world: World, person_id: int, context_id: int, *rules: StallRule) -> None:
    """Make the learner's open flags exactly `rules`."""
    findings = [Finding(rule, Severity.MEDIUM, verbatim(rule.label), {}, verbatim("Talk to them.")) for rule in rules]
    with runtime.unit_of_work() as uow:
        reconcile(uow, world.tenant.id, person_id, context_id, findings, NOW)
        uow.commit()


def mark(runtime: Runtime, tenant_id: int, now: datetime = NOW) -> list[int]:
    """Mark due what changed."""
    with runtime.unit_of_work() as uow:
        changed = mark_scores_due(uow, tenant_id, now)
        uow.commit()
    return changed


def test_scores_go_in_one_batch_with_momentum_open_flags_and_progress(
    runtime: Runtime, world: World, lms: Lms, services: PlatformClient
) -> None:
    momentum_on(runtime, world, world.ana.id, lms.context_id, 42, 0.5)
    flag(runtime, world, world.ana.id, lms.context_id, StallRule.BEHIND_PACE, StallRule.GONE_QUIET)

    assert mark(runtime, world.tenant.id) == [lms.context_id]
    report = push_scores(runtime.unit_of_work, services, lms.context_id, NOW)

    assert (report.sent, report.failed) == (2, 0)
    ana, ben = lms.platform.scores_for("u-ana"), lms.platform.scores_for("u-ben")
    assert len(ana) == len(ben) == 1
    assert ana[0]["scoreGiven"] == 42 and ana[0]["scoreMaximum"] == 100
    assert ana[0]["comment"] == "Open flags: gone quiet, behind pace."
    assert ana[0]["activityProgress"] == "InProgress" and ana[0]["gradingProgress"] == "FullyGraded"
    assert ana[0]["timestamp"].startswith("2026-11-23T09:00:00.000")
    assert "scoreGiven" not in ben[0] and ben[0]["gradingProgress"] == "Pending"
    assert ben[0]["comment"] == "No open flags." and ben[0]["activityProgress"] == "Initialized"
    assert len(lms.platform.token_requests) == 1, "one token for the line item and every score"


def test_nothing_is_sent_again_until_momentum_or_flags_change(
    runtime: Runtime, world: World, lms: Lms, services: PlatformClient
) -> None:
    momentum_on(runtime, world, world.ana.id, lms.context_id, 42, 1.0)
    mark(runtime, world.tenant.id)
    push_scores(runtime.unit_of_work, services, lms.context_id, NOW)
    assert mark(runtime, world.tenant.id, NOW + timedelta(hours=1)) == []

    flag(runtime, world, world.ana.id, lms.context_id, StallRule.PLATEAU)
    assert mark(runtime, world.tenant.id, NOW + timedelta(hours=2)) == [lms.context_id]
    report = push_scores(runtime.unit_of_work, services, lms.context_id, NOW + timedelta(hours=2))

    assert report.sent == 1
    latest = lms.platform.scores_for("u-ana")[-1]
    assert (latest["comment"], latest["activityProgress"]) == ("Open flags: plateau.", "Completed")
    assert len(lms.platform.scores_for("u-ben")) == 1


def test_the_momentum_line_item_is_created_once_with_its_tag_and_then_reused(
    runtime: Runtime, world: World, lms: Lms, services: PlatformClient
) -> None:
    lms.platform.line_items.append({"id": lms.platform.url + "/ags/lineitems/1?type_id=7", "label": "Quiz", "tag": "x"})
    mark(runtime, world.tenant.id)
    first = push_scores(runtime.unit_of_work, services, lms.context_id, NOW)
    momentum_on(runtime, world, world.ana.id, lms.context_id, 60, 0.2)
    mark(runtime, world.tenant.id, NOW + timedelta(hours=1))
    push_scores(runtime.unit_of_work, services, lms.context_id, NOW + timedelta(hours=1))

    assert first.line_item_created
    created = lms.platform.line_items[1]
    assert (created["label"], created["scoreMaximum"]) == ("Learning momentum", 100)
    assert (created["tag"], created["resourceId"]) == ("sweetspot-momentum", "sweetspot-momentum")
    posts = [r for r in lms.platform.requests if r.startswith("POST /ags/lineitems?")]
    assert posts == ["POST /ags/lineitems?type_id=7"]
    assert {s["line_item"] for s in lms.platform.scores} == {"2"}


def test_an_existing_momentum_line_item_is_found_by_tag_and_resource_id(
    runtime: Runtime, world: World, lms: Lms, services: PlatformClient
) -> None:
    existing = {
        "id": lms.platform.url + "/ags/lineitems/1?type_id=7",
        "label": "Learning momentum",
        "scoreMaximum": 100,
        "tag": "sweetspot-momentum",
        "resourceId": "sweetspot-momentum",
    }
    lms.platform.line_items.append(existing)
    mark(runtime, world.tenant.id)
    report = push_scores(runtime.unit_of_work, services, lms.context_id, NOW)

    assert not report.line_item_created and report.line_item == existing["id"]
    assert "GET /ags/lineitems?type_id=7&tag=sweetspot-momentum&resource_id=sweetspot-momentum" in (
        lms.platform.requests
    )
    assert len(lms.platform.line_items) == 1
    assert {s["line_item"] for s in lms.platform.scores} == {"1"}


def test_a_failed_push_is_shown_to_the_admin_and_retried_without_losing_the_update(
    runtime: Runtime, world: World, lms: Lms, services: PlatformClient, cli: Cli
) -> None:
    momentum_on(runtime, world, world.ana.id, lms.context_id, 42, 0.5)
    mark(runtime, world.tenant.id)
    lms.platform.failing = True
    report = push_scores(runtime.unit_of_work, services, lms.context_id, NOW)
    assert report.transient and report.sent == 0 and report.failed == 2

    status = json.loads(cli("lti", "grades", "status", "--tenant", "acme", "--json").output)
    failed = {s["lms_user_id"]: s for s in status}
    assert failed["u-ana"]["state"] == "failed" and failed["u-ana"]["attempts"] == 1
    assert "503" in failed["u-ana"]["last_error"] and "maintenance" in failed["u-ana"]["last_error"]
    assert failed["u-ana"]["next_attempt_at"].startswith("2026-11-23 09:01")
    assert "0 sent, 0 due, 2 failed" in cli("lti", "grades", "status", "--tenant", "acme").output
    still_down = cli("lti", "grades", "retry", "--tenant", "acme")
    assert still_down.exit_code == 1 and "503" in still_down.output

    # The momentum changes while the platform is down: the newer value replaces the older one.
    flag(runtime, world, world.ana.id, lms.context_id, StallRule.GONE_QUIET)
    mark(runtime, world.tenant.id, NOW + timedelta(minutes=5))
    lms.platform.failing = False
    retried = cli("lti", "grades", "retry", "--tenant", "acme")

    assert retried.exit_code == 0, retried.output
    assert [s["comment"] for s in lms.platform.scores_for("u-ana")] == ["Open flags: gone quiet."]
    status = json.loads(cli("lti", "grades", "status", "--tenant", "acme", "--json").output)
    after = {s["lms_user_id"]: s for s in status}
    assert after["u-ana"]["state"] == "sent" and after["u-ana"]["last_error"] is None
    assert after["u-ana"]["sent"]["comment"] == "Open flags: gone quiet."


def test_a_score_the_platform_refuses_does_not_hold_up_the_others(
    runtime: Runtime, world: World, lms: Lms, services: PlatformClient
) -> None:
    lms.platform.refused_users.add("u-ana")
    mark(runtime, world.tenant.id)
    report = push_scores(runtime.unit_of_work, services, lms.context_id, NOW)

    assert (report.sent, report.failed, report.transient) == (1, 1, False)
    assert [s["userId"] for s in lms.platform.scores] == ["u-ben"]
    with runtime.unit_of_work(read_only=True) as uow:
        ana = next(s for s in score_status(uow, world.tenant.id) if s.lms_user_id == "u-ana")
    assert (ana.state, ana.last_status) == ("failed", 400) and "not enrolled" in str(ana.last_error)


def test_a_deleted_line_item_is_found_or_created_anew(
    runtime: Runtime, world: World, lms: Lms, services: PlatformClient
) -> None:
    mark(runtime, world.tenant.id)
    push_scores(runtime.unit_of_work, services, lms.context_id, NOW)
    lms.platform.line_items.clear()  # an instructor deleted the column
    momentum_on(runtime, world, world.ben.id, lms.context_id, 70, 0.0)
    mark(runtime, world.tenant.id, NOW + timedelta(hours=1))

    failed = push_scores(runtime.unit_of_work, services, lms.context_id, NOW + timedelta(hours=1))
    again = push_scores(runtime.unit_of_work, services, lms.context_id, NOW + timedelta(hours=1, minutes=2))

    assert failed.failed == 1 and again.sent == 1 and again.line_item_created
    assert lms.platform.scores_for("u-ben")[-1]["scoreGiven"] == 70
    with runtime.unit_of_work(read_only=True) as uow:
        assert uow.session.query(MomentumLineItemRecord).count() == 1


# --- tenants ---


def test_tenants_see_and_retry_only_their_own_write_back(
    runtime: Runtime, world: World, lms: Lms, make_lms: Callable[[Tenant, str], Lms], services: PlatformClient, cli: Cli
) -> None:
    globex = make_lms(world.other_tenant, "course-101")
    globex.platform.put(member("u-ana", name="Another Ana"))
    sync(runtime, services, globex)
    mark(runtime, world.tenant.id)
    lms.platform.failing = True
    push_scores(runtime.unit_of_work, services, lms.context_id, NOW)

    assert json.loads(cli("lti", "grades", "status", "--tenant", "globex", "--json").output) == []
    assert cli("lti", "grades", "retry", "--tenant", "globex").output.strip() == "nothing is due"
    with runtime.unit_of_work(read_only=True) as uow:
        assert len(score_status(uow, world.tenant.id)) == 2
        acme_ana = get_context(uow, world.tenant.id, lms.context_id)
        assert [m.person.name for m in roster(uow, acme_ana) if m.person.lms_user_id == "u-ana"] == ["Ana Alves"]
    assert on_roster(runtime, globex.tenant_id, globex.context_id, Role.LEARNER) == ["u-ana"]
    assert on_roster(runtime, lms.tenant_id, lms.context_id, Role.LEARNER) == ["u-ana", "u-ben"]


# --- jobs ---


def test_the_periodic_sweep_writes_changed_momentum_back_to_the_gradebook(
    runtime: Runtime, world: World, lms: Lms
) -> None:
    jobs = build_jobs(runtime)
    jobs.queue.immediate = True  # run each job in this thread as it is enqueued, on huey's in-memory storage

    jobs.sweep()

    scores = {s["userId"]: s for s in lms.platform.scores}
    assert set(scores) == {"u-ana", "u-ben"}
    assert all(isinstance(s["scoreGiven"], int) and s["gradingProgress"] == "FullyGraded" for s in scores.values())
    jobs.push_due_scores()
    assert len(lms.platform.scores) == 2, "nothing changed, so nothing is sent again"


def test_a_push_job_that_meets_a_failing_platform_raises_so_the_queue_retries_it(
    runtime: Runtime, world: World, lms: Lms
) -> None:
    jobs = build_jobs(runtime)
    jobs.queue.immediate = True
    lms.platform.failing = True

    jobs.push_due_scores()

    with runtime.unit_of_work(read_only=True) as uow:
        assert {s.state for s in score_status(uow, world.tenant.id)} == {"failed"}
    assert [task.name for task in jobs.queue.scheduled()] == ["push_scores"], "huey's retry is scheduled"
