"""Launches through the tool's OIDC login and launch endpoints, as the 1EdTech certification suite sends them.

Invalid launches are refused with a 4xx page naming what was wrong and change nothing; valid ones
record the person, the context and the role, and open the pages for that role.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from alignment.agendas import set_org_agenda
from alignment.events import LearningEventRecord
from alignment.identities import Identifier, resolve_actor
from alignment.messages import Message
from alignment.opportunities import OpportunityDraft, create_opportunity
from alignment.people import MembershipRecord, PersonRecord
from alignment.roadmaps import RoadmapRecord
from alignment.sentences import english
from lti_tool import claims
from lti_tool.keys import SigningKey
from lti_tool.registrations import DeploymentRecord, DeploymentStatus
from sweetspot.runtime import Runtime
from tests.integration.conftest import World
from tests.integration.lti.conftest import (
    INSTITUTION_ADMIN,
    INSTRUCTOR,
    LEARNER,
    MENTOR,
    Platform,
    launch,
    login,
)


def counts(runtime: Runtime) -> tuple[int, int, int]:
    """People, memberships and learning events: what a refused launch must not change."""
    with runtime.unit_of_work(read_only=True) as uow:
        return (
            uow.session.scalar(select(func.count()).select_from(PersonRecord)) or 0,
            uow.session.scalar(select(func.count()).select_from(MembershipRecord)) or 0,
            uow.session.scalar(select(func.count()).select_from(LearningEventRecord)) or 0,
        )


def visitor(client: FlaskClient) -> dict[str, Any]:
    """The visitor the launch put in the session."""
    with client.session_transaction() as session:
        found: dict[str, Any] = session["visitor"]
        return found


def unsigned(body: dict[str, Any], header: dict[str, Any]) -> str:
    """A JWT with the given header and no signature (alg none)."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(body)}."


INVALID_CLAIMS = {
    "wrong LTI version": {"VERSION": "1.2.0"},
    "no LTI version": {"VERSION": None},
    "no message type": {"MESSAGE_TYPE": None},
    "an unknown message type": {"MESSAGE_TYPE": "LtiSomethingElse"},
    "no roles claim": {"ROLES": None},
    "no deployment id": {"DEPLOYMENT_ID": None},
    "no resource link id": {"RESOURCE_LINK": {"title": "no id"}},
    "no sub": {"sub": None},
    "expired": {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
    "issued in the future": {"iat": int(time.time()) + 3600, "exp": int(time.time()) + 7200},
    "no exp": {"exp": None},
    "no iat": {"iat": None},
    "a wrong audience": {"aud": "someone-else"},
    "several audiences and no azp": {"aud": ["sweetspot-client", "other"]},
    "an azp that is not us": {"azp": "other"},
    "an unknown deployment": {"DEPLOYMENT_ID": "never-seen"},
    "a target_link_uri elsewhere": {"TARGET_LINK_URI": "https://evil.example/app/"},
}


@pytest.mark.parametrize("overrides", INVALID_CLAIMS.values(), ids=INVALID_CLAIMS.keys())
def test_an_invalid_launch_is_refused_with_a_clear_page_and_changes_nothing(
    client: FlaskClient, runtime: Runtime, platform: Platform, overrides: dict[str, Any]
) -> None:
    before = counts(runtime)
    response = launch(client, platform, **overrides)
    assert 400 <= response.status_code < 500
    assert "Sweetspot could not open" in response.text
    assert "What to do" in response.text
    assert counts(runtime) == before


def test_a_token_that_is_not_a_jwt_is_refused(client: FlaskClient, platform: Platform) -> None:
    response = launch(client, platform, build=lambda nonce: "not-a-jwt")
    assert response.status_code == 400
    assert "not a JWT" in response.text


def test_a_token_without_kid_is_refused(client: FlaskClient, platform: Platform) -> None:
    def build(nonce: str) -> str:
        return jwt.encode(platform.claims(nonce), platform.key.private_pem, algorithm="RS256")

    response = launch(client, platform, build=build)
    assert response.status_code == 400
    assert "no kid" in response.text


def test_a_token_with_an_unknown_kid_is_refused_after_one_fresh_key_set_download(
    client: FlaskClient, platform: Platform
) -> None:
    assert launch(client, platform).status_code == 303
    fetched = len(platform.jwks_fetches)
    response = launch(client, platform, build=lambda nonce: platform.sign(platform.claims(nonce), kid="unknown"))
    assert response.status_code == 400
    assert "no key with kid" in response.text
    assert len(platform.jwks_fetches) == fetched + 1


def test_a_key_the_platform_rotated_in_is_fetched_once_and_accepted(
    client: FlaskClient, platform: Platform, spare_key: SigningKey
) -> None:
    assert launch(client, platform).status_code == 303
    fetched = len(platform.jwks_fetches)
    platform.published.append(spare_key)
    response = launch(client, platform, build=lambda nonce: platform.sign(platform.claims(nonce), key=spare_key))
    assert response.status_code == 303
    assert len(platform.jwks_fetches) == fetched + 1
    assert launch(client, platform).status_code == 303
    assert len(platform.jwks_fetches) == fetched + 1, "the key set is cached as its Cache-Control allows"


def test_a_token_signed_with_another_platforms_key_is_refused(
    client: FlaskClient, platform: Platform, spare_key: SigningKey
) -> None:
    forged = SigningKey(spare_key.private_pem, platform.key.kid, platform.key.public_jwk, platform.key.public_pem)
    response = launch(client, platform, build=lambda nonce: platform.sign(platform.claims(nonce), key=forged))
    assert response.status_code == 400
    assert "Signature verification failed" in response.text


def test_alg_none_is_refused(client: FlaskClient, runtime: Runtime, platform: Platform) -> None:
    before = counts(runtime)
    response = launch(
        client, platform, build=lambda nonce: unsigned(platform.claims(nonce), {"alg": "none", "kid": platform.key.kid})
    )
    assert response.status_code == 400
    assert "only RS256" in response.text
    assert counts(runtime) == before


def test_hs256_signed_with_the_public_key_is_refused(client: FlaskClient, platform: Platform) -> None:
    def build(nonce: str) -> str:
        header = {"alg": "HS256", "typ": "JWT", "kid": platform.key.kid}
        signing_input = unsigned(platform.claims(nonce), header).rstrip(".")
        import hashlib
        import hmac

        secret = json.dumps(platform.key.public_jwk).encode()
        signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
        return signing_input + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()

    response = launch(client, platform, build=build)
    assert response.status_code == 400
    assert "only RS256" in response.text


def test_a_replayed_id_token_is_refused_even_with_the_login_session_copied(
    client: FlaskClient, runtime: Runtime, platform: Platform
) -> None:
    state, nonce = login(client, platform)
    token = platform.sign(platform.claims(nonce))
    session_cookie = client.get_cookie("session")
    assert session_cookie is not None
    assert client.post("/lti/launch", data={"id_token": token, "state": state}).status_code == 303
    before = counts(runtime)
    client.set_cookie("session", session_cookie.value)
    client.set_cookie(f"lti1p3-{state}", state)
    replay = client.post("/lti/launch", data={"id_token": token, "state": state})
    assert replay.status_code == 401
    assert "already used" in replay.text
    assert counts(runtime) == before


def test_a_replayed_id_token_in_a_fresh_session_is_refused(client: FlaskClient, platform: Platform) -> None:
    state, nonce = login(client, platform)
    token = platform.sign(platform.claims(nonce))
    assert client.post("/lti/launch", data={"id_token": token, "state": state}).status_code == 303
    replay = client.post("/lti/launch", data={"id_token": token, "state": state})
    assert replay.status_code == 401


def test_a_launch_in_another_browser_than_the_login_is_refused(
    client: FlaskClient, app: Any, platform: Platform
) -> None:
    state, nonce = login(client, platform)
    token = platform.sign(platform.claims(nonce))
    stranger = app.test_client()
    response = stranger.post("/lti/launch", data={"id_token": token, "state": state})
    assert response.status_code == 401
    assert "state" in response.text


def test_a_login_from_an_unregistered_platform_is_refused(client: FlaskClient, platform: Platform) -> None:
    response = client.post(
        "/lti/login",
        data={"iss": "https://unknown.example", "login_hint": "x", "target_link_uri": "http://localhost/app/"},
    )
    assert response.status_code == 403
    assert "no platform is registered" in response.text


def test_a_login_aimed_at_another_tool_is_refused(client: FlaskClient, platform: Platform) -> None:
    response = client.get(
        "/lti/login",
        query_string={"iss": platform.issuer, "login_hint": "x", "target_link_uri": "https://evil.example/"},
    )
    assert response.status_code == 400
    assert "target_link_uri" in response.text


def test_login_initiation_works_over_get_too(client: FlaskClient, platform: Platform) -> None:
    response = client.get(
        "/lti/login",
        query_string={
            "iss": platform.issuer,
            "login_hint": "u-ana",
            "target_link_uri": "http://localhost/app/",
            "client_id": platform.client_id,
        },
    )
    assert response.status_code == 302
    assert response.location.startswith(platform.issuer + "/auth?")


def test_a_new_deployment_is_recorded_as_pending_and_refused_until_activated(
    client: FlaskClient, runtime: Runtime, platform: Platform
) -> None:
    response = launch(client, platform, DEPLOYMENT_ID="course-deployment-7")
    assert response.status_code == 403
    assert "waiting for activation" in response.text
    with runtime.unit_of_work() as uow:
        record = uow.session.scalar(
            select(DeploymentRecord).where(DeploymentRecord.deployment_id == "course-deployment-7")
        )
        assert record is not None and record.status == DeploymentStatus.PENDING
        record.status = DeploymentStatus.ACTIVE
        uow.commit()
    assert launch(client, platform, DEPLOYMENT_ID="course-deployment-7").status_code == 303


VALID_ROLES = {
    "learner": ([LEARNER], "learner"),
    "instructor": ([INSTRUCTOR], "manager"),
    "instructor and learner": ([LEARNER, INSTRUCTOR], "manager"),
    "teaching assistant sub-role": (
        ["http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"],
        "manager",
    ),
    "content developer": (["http://purl.imsglobal.org/vocab/lis/v2/membership#ContentDeveloper"], "manager"),
    "short role names": (["Instructor"], "manager"),
    "short learner name": (["Learner"], "learner"),
    "an unknown role": (["http://example.com/roles#Astronaut"], "learner"),
    "no roles": ([], "learner"),
    "institution administrator": ([INSTITUTION_ADMIN, INSTRUCTOR], "admin"),
    "system administrator": (["http://purl.imsglobal.org/vocab/lis/v2/system/person#Administrator"], "admin"),
    "mentor without mentees": ([MENTOR], "learner"),
}


@pytest.mark.parametrize(("roles", "audience"), VALID_ROLES.values(), ids=VALID_ROLES.keys())
def test_a_valid_launch_opens_the_pages_of_the_role(
    client: FlaskClient, platform: Platform, roles: list[str], audience: str
) -> None:
    response = launch(client, platform, ROLES=roles)
    assert response.status_code == 303
    assert response.location.endswith("/app/")
    assert visitor(client)["audience"] == audience
    assert client.get("/app/", follow_redirects=True).status_code == 200


def test_a_mentor_with_role_scope_sees_manager_pages_for_their_mentees(client: FlaskClient, platform: Platform) -> None:
    assert launch(client, platform, ROLES=[MENTOR], ROLE_SCOPE_MENTOR=["u-ben"]).status_code == 303
    assert visitor(client)["audience"] == "mentor"
    assert list(visitor(client)["mentee_lms_ids"]) == ["u-ben"]


PERSONAL_DATA = {
    "email only": ({"name": None, "given_name": None, "family_name": None}, "ana@acme.test"),
    "names only": ({"name": None, "email": None}, "Ana Alves"),
    "no personal data": ({"name": None, "given_name": None, "family_name": None, "email": None}, "Learner u-new"),
}


@pytest.mark.parametrize(("overrides", "shown"), PERSONAL_DATA.values(), ids=PERSONAL_DATA.keys())
def test_a_launch_with_little_personal_data_still_opens(
    client: FlaskClient, platform: Platform, overrides: dict[str, Any], shown: str
) -> None:
    assert launch(client, platform, sub="u-new", **overrides).status_code == 303
    assert visitor(client)["name"] == shown


def test_a_learner_launch_records_the_person_the_context_and_an_engagement_event(
    client: FlaskClient, runtime: Runtime, world: World, platform: Platform
) -> None:
    course = {"id": "c-9", "title": "Onboarding"}
    launch(client, platform, sub="u-zoe", name="Zoe Zhang", email="zoe@acme.test", CONTEXT=course)
    with runtime.unit_of_work(read_only=True) as uow:
        zoe = uow.session.scalar(select(PersonRecord).where(PersonRecord.lms_user_id == "u-zoe"))
        assert zoe is not None and zoe.name == "Zoe Zhang" and zoe.tenant_id == world.tenant.id
        events = list(uow.session.scalars(select(LearningEventRecord).where(LearningEventRecord.person_id == zoe.id)))
        assert [e.lti_resource_link_id for e in events] == ["link-1"]
    assert visitor(client)["context_id"] != world.course.id


def test_a_launch_without_a_context_lands_in_the_deployments_own_context(
    client: FlaskClient, platform: Platform
) -> None:
    assert launch(client, platform, CONTEXT=None).status_code == 303
    assert visitor(client)["context_id"]


def test_a_launch_from_the_same_course_twice_is_one_person_and_one_membership(
    client: FlaskClient, runtime: Runtime, platform: Platform
) -> None:
    launch(client, platform)
    first = counts(runtime)
    launch(client, platform)
    assert counts(runtime)[:2] == first[:2]


def test_the_pages_need_a_launch(client: FlaskClient) -> None:
    response = client.get("/app/")
    assert response.status_code == 401
    assert "Open Sweetspot from your LMS" in response.text


def test_the_launch_locale_is_kept_for_the_pages(client: FlaskClient, platform: Platform) -> None:
    launch(client, platform, LAUNCH_PRESENTATION={"locale": "es-ES"})
    assert visitor(client)["locale"] == "es-ES"
    assert claims.LAUNCH_PRESENTATION


def test_a_learner_seen_only_through_xapi_is_merged_into_the_person_at_first_launch(
    client: FlaskClient, runtime: Runtime, world: World, platform: Platform
) -> None:
    with runtime.unit_of_work() as uow:
        provisional = resolve_actor(uow, world.tenant.id, [Identifier("email", "zoe@acme.test")], "Zoe (xAPI)")
        uow.commit()
    launch(client, platform, sub="u-zoe", name="Zoe Zhang", email="Zoe@acme.test")
    with runtime.unit_of_work(read_only=True) as uow:
        assert uow.session.get(PersonRecord, provisional) is None
        zoe = uow.session.scalar(select(PersonRecord).where(PersonRecord.lms_user_id == "u-zoe"))
        assert zoe is not None
        assert resolve_actor(uow, world.tenant.id, [Identifier("email", "zoe@acme.test")], None) == zoe.id


def test_the_xapi_id_a_custom_parameter_carries_is_linked_to_the_person(
    client: FlaskClient, runtime: Runtime, world: World, platform: Platform
) -> None:
    launch(client, platform, CUSTOM={"xapi_user_id": "moodle-42"})
    with runtime.unit_of_work(read_only=True) as uow:
        ana = resolve_actor(uow, world.tenant.id, [Identifier("account", f"{platform.issuer} moodle-42")], None)
        assert ana == world.ana.id


def test_a_login_inside_an_iframe_checks_cookies_first_and_offers_a_new_window(
    client: FlaskClient, platform: Platform
) -> None:
    data = {
        "iss": platform.issuer,
        "login_hint": "u-ana",
        "target_link_uri": "http://localhost/app/",
        "client_id": platform.client_id,
    }
    page = client.post("/lti/login", data=data, headers={"Sec-Fetch-Dest": "iframe"})
    assert page.status_code == 200
    assert "lti-login.js" in page.text and "Open Sweetspot in a new window" in page.text
    assert "new_window=1" in page.text
    auth_url = page.text.split('data-auth-url="')[1].split('"')[0].replace("&amp;", "&")
    query = parse_qs(urlsplit(auth_url).query)
    token = platform.sign(platform.claims(query["nonce"][0]))
    assert client.post("/lti/launch", data={"id_token": token, "state": query["state"][0]}).status_code == 303


def test_the_state_cookie_is_removed_after_the_launch_so_cookies_do_not_pile_up(
    client: FlaskClient, platform: Platform
) -> None:
    for _ in range(3):
        assert launch(client, platform).status_code == 303
    assert not [cookie for cookie in client._cookies if cookie[2].startswith("lti1p3-state-")]


def test_the_role_label_a_custom_parameter_carries_is_kept_and_a_new_role_re_plans(
    client: FlaskClient, runtime: Runtime, world: World, platform: Platform
) -> None:
    with runtime.unit_of_work() as uow:
        draft = OpportunityDraft("Warehouse SQL", "course", 2, {world.sql.id: 1.0})
        create_opportunity(uow, world.tenant.id, draft)
        why = "Engineers own the warehouse."
        set_org_agenda(uow, world.tenant.id, world.course.id, {world.sql.id: (3, why)}, role_label="Data engineer")
        uow.commit()

    def roadmaps() -> list[tuple[str, list[str]]]:
        with runtime.unit_of_work(read_only=True) as uow:
            rows = uow.session.execute(
                select(RoadmapRecord.reason, RoadmapRecord.plan)
                .where(RoadmapRecord.person_id == world.ana.id)
                .order_by(RoadmapRecord.version)
            )
            return [
                (english(Message.from_json(reason)), [item["title"] for item in plan["items"]]) for reason, plan in rows
            ]

    launch(client, platform, CUSTOM={"role_label": "Analyst"})
    launch(client, platform, CUSTOM={"role_label": "$Person.custom.job_title"})  # not substituted: says nothing
    with runtime.unit_of_work(read_only=True) as uow:
        ana = uow.session.get(PersonRecord, world.ana.id)
        assert ana is not None and ana.role_label == "Analyst"
    assert roadmaps() == [("Your role is now Analyst.", [])]
    launch(client, platform, CUSTOM={"role_label": " Data   engineer "})
    with runtime.unit_of_work(read_only=True) as uow:
        ana = uow.session.get(PersonRecord, world.ana.id)
        assert ana is not None and ana.role_label == "Data engineer"
    assert roadmaps() == [("Your role is now Analyst.", []), ("Your role is now Data engineer.", ["Warehouse SQL"])]
