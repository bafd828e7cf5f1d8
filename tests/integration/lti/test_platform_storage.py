"""Launches without cookies: the state and nonce kept in the platform's storage, the session carried in URLs.

The browser is played by two test clients: the login's (which receives the state cookie, as the frame
would try to keep it) and a second one that keeps no cookie at all, as a frame whose browser blocks
third-party cookies. What the page's script would do with `lti.put_data` / `lti.get_data` the test does
by hand: it reads the values the login page hands to the platform and sends them back as the launch
page would, with the Origin a browser sets.
"""

from __future__ import annotations

import html
import re
import time
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from alignment.agendas import current_personal_agenda
from alignment.events import LearningEventRecord
from lti_tool import frame_session
from lti_tool.registrations import UsedNonceRecord
from sweetspot.runtime import Runtime
from tests.integration.conftest import World
from tests.integration.lti.conftest import TOOL, Platform, login

FRAMED = {"Sec-Fetch-Dest": "iframe"}
OURS = {"Origin": TOOL, **FRAMED}


@dataclass
class StorageLogin:
    """What the login page hands to the platform's storage, and where it then sends the browser."""

    storage_target: str
    platform_origin: str
    state: str
    nonce: str
    auth_url: str


def storage_login(client: FlaskClient, platform: Platform) -> StorageLogin:
    """The login initiation of a platform that offers its storage, from inside its iframe."""
    page = client.post(
        "/lti/login",
        data={
            "iss": platform.issuer,
            "login_hint": "u-ana",
            "target_link_uri": TOOL + "/app/",
            "client_id": platform.client_id,
            "lti_deployment_id": platform.deployment_id,
            "lti_storage_target": "_parent",
        },
        headers=FRAMED,
    )
    assert page.status_code == 200, page.text
    return StorageLogin(*(_attribute(page, name) for name in ("storage-target", "platform-origin", "state", "nonce")),
                        auth_url=_attribute(page, "auth-url"))  # fmt: skip


def first_step(
    cookieless: FlaskClient, platform: Platform, login: StorageLogin, nonce: str | None = None
) -> TestResponse:
    """The platform's id_token POST reaching a frame that kept no cookie."""
    token = platform.sign(platform.claims(nonce or login.nonce))
    return cookieless.post("/lti/launch", data={"id_token": token, "state": login.state}, headers=FRAMED)


def confirm(cookieless: FlaskClient, page: TestResponse, values: tuple[str, str], **headers: str) -> TestResponse:
    """The launch page's second POST, with the values it read back from the platform's storage."""
    fields = {name: _hidden(page, name) for name in ("id_token", "state")}
    fields |= {"lti_storage_state": values[0], "lti_storage_nonce": values[1]}
    return cookieless.post("/lti/launch", data=fields, headers=headers or OURS)


def launched_through_storage(app: Flask, platform: Platform) -> tuple[FlaskClient, TestResponse]:
    """A whole cookie-less launch; returns the cookie-less client and the launch's redirect."""
    started = storage_login(app.test_client(), platform)
    cookieless = app.test_client()
    page = first_step(cookieless, platform, started)
    return cookieless, confirm(cookieless, page, (started.state, started.nonce))


def recorded(runtime: Runtime) -> tuple[int, int]:
    """Used nonces and learning events in the database."""
    with runtime.unit_of_work(read_only=True) as uow:
        nonces = uow.session.scalar(select(func.count()).select_from(UsedNonceRecord))
        events = uow.session.scalar(select(func.count()).select_from(LearningEventRecord))
    return int(nonces or 0), int(events or 0)


def test_a_login_offered_platform_storage_hands_its_page_the_state_and_nonce_to_keep_there(
    client: FlaskClient, platform: Platform
) -> None:
    started = storage_login(client, platform)
    assert started.storage_target == "_parent"
    assert started.platform_origin == platform.issuer  # the origin of the platform's OIDC endpoint
    query = parse_qs(urlsplit(started.auth_url).query)
    assert query["state"] == [started.state] and query["nonce"] == [started.nonce]
    page = client.post(
        "/lti/login",
        data={"iss": platform.issuer, "login_hint": "u-ana", "target_link_uri": TOOL + "/app/",
              "client_id": platform.client_id, "lti_storage_target": "_parent"},
        headers=FRAMED,
    )  # fmt: skip
    assert "lti-storage.js" in page.text and "lti-login.js" in page.text
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text), "no inline script (CSP script-src 'self')"


def test_without_the_cookie_the_launch_first_asks_the_page_for_the_platforms_values_and_records_nothing(
    app: Flask, runtime: Runtime, platform: Platform
) -> None:
    started = storage_login(app.test_client(), platform)
    page = first_step(app.test_client(), platform, started)
    assert page.status_code == 200, page.text
    assert _attribute(page, "state") == started.state and _attribute(page, "nonce") == started.nonce
    assert _attribute(page, "storage-target") == "_parent"
    assert _attribute(page, "platform-origin") == platform.issuer
    assert "lti-storage-check.js" in page.text
    assert not re.search(r"<script(?![^>]*\bsrc=)", page.text)
    assert f"frame-ancestors {platform.issuer}" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"
    assert recorded(runtime) == (0, 0)


def test_the_confirmed_launch_opens_the_pages_and_the_learner_saves_the_agenda_without_any_cookie(
    app: Flask, runtime: Runtime, world: World, platform: Platform
) -> None:
    cookieless, answer = launched_through_storage(app, platform)
    assert answer.status_code == 303, answer.text
    assert "ss=" in answer.location
    assert not answer.headers.getlist("Set-Cookie")
    assert recorded(runtime) == (1, 1)
    landing = cookieless.get(answer.location, headers=FRAMED)
    assert landing.status_code == 302 and "/app/agenda?ss=" in landing.location
    agenda = cookieless.get(landing.location, headers=FRAMED)
    assert agenda.status_code == 200
    assert agenda.headers["Referrer-Policy"] == "same-origin"
    assert agenda.headers["Cache-Control"] == "no-store"
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', agenda.text)[1])  # type: ignore[index]
    assert "ss=" in action
    saved = cookieless.post(
        action,
        data={"csrf_token": _hidden(agenda, "csrf_token"), f"skill-{world.python.id}": "3", "weekly_hours": "2"},
        headers=OURS,
    )
    assert saved.status_code == 303, saved.text
    roadmap = cookieless.get(saved.location, headers=FRAMED)
    assert "Your agenda is saved" in roadmap.text
    assert not cookieless._cookies
    with runtime.unit_of_work(read_only=True) as uow:
        agenda_saved = current_personal_agenda(uow, world.tenant.id, world.ana.id)
    assert agenda_saved is not None and dict(agenda_saved.interests) == {world.python.id: 3}


def test_a_form_without_its_csrf_field_is_refused_in_a_cookie_less_session(
    app: Flask, runtime: Runtime, world: World, platform: Platform
) -> None:
    cookieless, answer = launched_through_storage(app, platform)
    agenda = cookieless.get(cookieless.get(answer.location, headers=FRAMED).location, headers=FRAMED)
    action = html.unescape(re.search(r'<form method="post" action="([^"]+)"', agenda.text)[1])  # type: ignore[index]
    refused = cookieless.post(action, data={"weekly_hours": "2"}, headers=OURS)
    assert refused.status_code == 400
    with runtime.unit_of_work(read_only=True) as uow:
        assert current_personal_agenda(uow, world.tenant.id, world.ana.id) is None


def test_a_state_sweetspot_did_not_sign_is_refused(app: Flask, runtime: Runtime, platform: Platform) -> None:
    started = storage_login(app.test_client(), platform)
    forged = started.state[:-3] + ("aaa" if not started.state.endswith("aaa") else "bbb")
    started.state = forged
    refused = first_step(app.test_client(), platform, started)
    assert refused.status_code == 401
    assert "not issued by Sweetspot" in html.unescape(refused.text)
    assert recorded(runtime) == (0, 0)


def test_the_state_of_another_login_is_refused(app: Flask, runtime: Runtime, platform: Platform) -> None:
    browser = app.test_client()
    one, other = storage_login(browser, platform), storage_login(browser, platform)
    refused = first_step(app.test_client(), platform, one, nonce=other.nonce)
    assert refused.status_code == 401
    assert "not the one its login issued" in html.unescape(refused.text)
    assert recorded(runtime) == (0, 0)


@pytest.mark.parametrize("which", ["state", "nonce", "both"])
def test_values_the_platforms_storage_does_not_hold_are_refused(
    app: Flask, runtime: Runtime, platform: Platform, which: str
) -> None:
    started = storage_login(app.test_client(), platform)
    other = storage_login(app.test_client(), platform)
    cookieless = app.test_client()
    page = first_step(cookieless, platform, started)
    values = (
        other.state if which in ("state", "both") else started.state,
        other.nonce if which in ("nonce", "both") else started.nonce,
    )
    refused = confirm(cookieless, page, values)
    assert refused.status_code == 401
    assert "does not hold this launch's state and nonce" in html.unescape(refused.text)
    assert recorded(runtime) == (0, 0)


@pytest.mark.parametrize("origin", [None, "https://attacker.example", "null"])
def test_the_confirmation_must_come_from_sweetspots_own_page(
    app: Flask, runtime: Runtime, platform: Platform, origin: str | None
) -> None:
    started = storage_login(app.test_client(), platform)
    cookieless = app.test_client()
    page = first_step(cookieless, platform, started)
    headers = {**FRAMED, **({"Origin": origin} if origin else {})}
    refused = confirm(cookieless, page, (started.state, started.nonce), **headers)
    assert refused.status_code == 403
    assert recorded(runtime) == (0, 0)


def test_a_confirmed_launch_cannot_be_replayed(app: Flask, runtime: Runtime, platform: Platform) -> None:
    started = storage_login(app.test_client(), platform)
    cookieless = app.test_client()
    page = first_step(cookieless, platform, started)
    assert confirm(cookieless, page, (started.state, started.nonce)).status_code == 303
    replayed = confirm(app.test_client(), page, (started.state, started.nonce))
    assert replayed.status_code == 401
    assert "already used" in html.unescape(replayed.text)
    assert recorded(runtime) == (1, 1)


def test_without_the_cookie_a_login_that_offered_no_storage_is_refused_as_before(
    app: Flask, runtime: Runtime, platform: Platform
) -> None:
    state, nonce = login(app.test_client(), platform)
    refused = app.test_client().post(
        "/lti/launch", data={"id_token": platform.sign(platform.claims(nonce)), "state": state}
    )
    assert refused.status_code == 401
    assert "state not found" in html.unescape(refused.text)
    assert recorded(runtime) == (0, 0)


def test_the_session_token_is_no_session_when_tampered_outside_a_frame_or_too_old(
    app: Flask, platform: Platform
) -> None:
    cookieless, answer = launched_through_storage(app, platform)
    token = parse_qs(urlsplit(answer.location).query)["ss"][0]
    assert cookieless.get(f"/app/agenda?ss={token}", headers=FRAMED).status_code == 200
    assert cookieless.get(f"/app/agenda?ss={token[:-2]}xx", headers=FRAMED).status_code == 401
    assert cookieless.get(f"/app/agenda?ss={token}", headers={"Sec-Fetch-Dest": "document"}).status_code == 401
    with app.test_request_context():
        old = frame_session._serializer(app).loads(token)
        old[frame_session.FRAME_SESSION]["at"] = time.time() - frame_session.LIFETIME_SECONDS - 1
        stale = frame_session._serializer(app).dumps(old)
    assert cookieless.get(f"/app/agenda?ss={stale}", headers=FRAMED).status_code == 401


def test_a_browser_that_keeps_cookies_launches_by_cookie_even_where_storage_was_offered(
    client: FlaskClient, runtime: Runtime, platform: Platform
) -> None:
    started = storage_login(client, platform)
    token = platform.sign(platform.claims(started.nonce))
    answer = client.post("/lti/launch", data={"id_token": token, "state": started.state}, headers=FRAMED)
    assert answer.status_code == 303
    assert "ss=" not in answer.location
    assert client.get("/app/agenda", headers=FRAMED).status_code == 200


def _attribute(page: TestResponse, name: str) -> str:
    found = re.search(rf'data-{name}="([^"]*)"', page.text)
    assert found, f"no data-{name} in the page"
    return html.unescape(found[1])


def _hidden(page: TestResponse, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page.text)
    assert found, f"no hidden {name} in the page"
    return html.unescape(found[1])
