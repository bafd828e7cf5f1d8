"""Tool registration: the OpenID configuration, the dynamic registration endpoint's rules, the manual path."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from dev_lms import DevLms, DevLmsError, serve_in_thread
from dev_lms import vocabulary as v
from dev_lms.registration import create_registration_token, registration_start_url
from tests.dev_lms.conftest import Clock


def metadata(**changes: Any) -> dict[str, Any]:
    """A valid tool registration request (LTI DR 1.0 §3.5), with some fields changed or dropped."""
    body: dict[str, Any] = {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": "https://tool.example.com/lti/login",
        "redirect_uris": ["https://tool.example.com/lti/launch"],
        "client_name": "Sweetspot",
        "jwks_uri": "https://tool.example.com/lti/jwks.json",
        "token_endpoint_auth_method": "private_key_jwt",
        "scope": f"{v.SCOPE_SCORE} {v.SCOPE_LINEITEM} {v.SCOPE_NRPS}",
        v.TOOL_CONFIGURATION: {
            "domain": "tool.example.com",
            "target_link_uri": "https://tool.example.com/lti/launch",
            "custom_parameters": {"years": "$Person.custom.years_in_role"},
            "claims": ["iss", "sub", "name", "email"],
            "messages": [
                {"type": "LtiDeepLinkingRequest", "target_link_uri": "https://tool.example.com/lti/deep-link"}
            ],
        },
    }
    for name, value in changes.items():
        if value is None:
            body.pop(name, None)
        else:
            body[name] = value
    return body


def register(client: FlaskClient, token: str | None, body: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post("/registrations", json=body, headers=headers)


def test_the_openid_configuration_describes_the_platform(lms: DevLms, client: FlaskClient) -> None:
    configuration = client.get("/.well-known/openid-configuration").get_json()
    assert configuration["issuer"] == lms.issuer
    assert configuration["authorization_endpoint"] == lms.authorization_url
    assert configuration["token_endpoint"] == lms.token_url
    assert configuration["jwks_uri"] == lms.jwks_url
    assert configuration["registration_endpoint"] == lms.registration_endpoint
    assert configuration["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    assert configuration["id_token_signing_alg_values_supported"] == ["RS256"]
    assert set(v.SERVICE_SCOPES) <= set(configuration["scopes_supported"])
    platform = configuration[v.PLATFORM_CONFIGURATION]
    assert {m["type"] for m in platform["messages_supported"]} == {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}
    assert "$User.id" in platform["variables"]


def test_the_key_set_is_served_and_the_key_survives_a_restart(lms: DevLms, client: FlaskClient) -> None:
    [key] = client.get("/.well-known/jwks.json").get_json()["keys"]
    assert (key["kty"], key["alg"], key["use"], key["kid"]) == ("RSA", "RS256", "sig", lms.key.kid)
    assert "d" not in key
    again = DevLms(lms.directory, lms.issuer)
    assert again.key.kid == lms.key.kid
    assert again.guid == lms.guid
    again.close()


def test_a_new_platform_generates_its_own_key(tmp_path: Any) -> None:
    first = DevLms(tmp_path / "a", "http://127.0.0.1:9")
    assert (tmp_path / "a" / "platform-key.pem").stat().st_mode & 0o777 == 0o600
    assert first.key.public_jwk()["n"]
    first.close()


def test_a_registration_stores_the_tool_and_answers_its_ids(lms: DevLms, client: FlaskClient) -> None:
    token = create_registration_token(lms)
    response = register(client, token, metadata())
    assert response.status_code == 200, response.text
    answer = response.get_json()
    assert answer["client_id"]
    assert answer[v.TOOL_CONFIGURATION]["deployment_id"] == lms.deployment_of(answer["client_id"])
    assert answer["client_name"] == "Sweetspot"
    assert answer["scope"].split() == [v.SCOPE_SCORE, v.SCOPE_LINEITEM, v.SCOPE_NRPS]
    [tool] = lms.tools()
    assert tool.client_id == answer["client_id"]
    assert tool.deep_link_uri == "https://tool.example.com/lti/deep-link"
    assert tool.custom_parameters == {"years": "$Person.custom.years_in_role"}
    assert tool.registered_by == "dynamic"


def test_a_registration_token_works_once_and_only_while_fresh(lms: DevLms, client: FlaskClient, clock: Clock) -> None:
    token = create_registration_token(lms)
    assert register(client, token, metadata()).status_code == 200
    again = register(client, token, metadata())
    assert again.status_code == 401
    assert again.get_json()["error_description"] == "the registration token has already been used"
    assert register(client, None, metadata()).status_code == 401
    assert register(client, "made-up", metadata()).status_code == 401
    stale = create_registration_token(lms)
    clock.advance(hours=2)
    assert register(client, stale, metadata()).status_code == 401
    assert len(lms.tools()) == 1


@pytest.mark.parametrize(
    ("changes", "error", "named"),
    [
        ({"application_type": "native"}, "invalid_client_metadata", "application_type"),
        ({"response_types": ["code"]}, "invalid_client_metadata", "response_types"),
        ({"grant_types": ["implicit"]}, "invalid_client_metadata", "grant_types"),
        ({"token_endpoint_auth_method": "client_secret_basic"}, "invalid_client_metadata", "private_key_jwt"),
        ({"client_name": None}, "invalid_client_metadata", "client_name"),
        ({"redirect_uris": []}, "invalid_redirect_uri", "redirect_uris"),
        ({"redirect_uris": ["not a url"]}, "invalid_redirect_uri", "redirect URI"),
        ({"initiate_login_uri": "ftp://tool.example.com/login"}, "invalid_client_metadata", "initiate_login_uri"),
        ({"jwks_uri": None}, "invalid_client_metadata", "jwks_uri"),
        ({"scope": "https://example.com/scope/everything"}, "invalid_client_metadata", "does not offer"),
        ({v.TOOL_CONFIGURATION: None}, "invalid_client_metadata", v.TOOL_CONFIGURATION),
    ],
)
def test_faulty_client_metadata_is_refused_and_nothing_is_stored(
    lms: DevLms, client: FlaskClient, changes: dict[str, Any], error: str, named: str
) -> None:
    response = register(client, create_registration_token(lms), metadata(**changes))
    assert response.status_code == 400
    assert response.get_json()["error"] == error
    assert named in response.get_json()["error_description"]
    assert lms.tools() == []


@pytest.mark.parametrize(
    ("configuration", "named"),
    [
        ({"domain": "https://tool.example.com"}, "domain"),
        ({"target_link_uri": "https://elsewhere.example.org/launch"}, "not on the tool's domain"),
        ({"custom_parameters": {"n": 1}}, "custom_parameters"),
        ({"messages": [{"type": "LtiSubmissionReviewRequest"}]}, "type"),
        ({"messages": [{"type": "LtiDeepLinkingRequest", "target_link_uri": "https://x.example.org/dl"}]}, "domain"),
    ],
)
def test_a_faulty_tool_configuration_is_refused(
    lms: DevLms, client: FlaskClient, configuration: dict[str, Any], named: str
) -> None:
    body = metadata()
    body[v.TOOL_CONFIGURATION] = {**body[v.TOOL_CONFIGURATION], **configuration}
    response = register(client, create_registration_token(lms), body)
    assert response.status_code == 400
    assert named in response.get_json()["error_description"]


def test_the_registration_must_be_json(lms: DevLms, client: FlaskClient) -> None:
    response = client.post(
        "/registrations", data="client_name=x", headers={"Authorization": f"Bearer {create_registration_token(lms)}"}
    )
    assert response.status_code == 400
    assert "application/json" in response.get_json()["error_description"]


def test_the_start_url_adds_the_configuration_and_the_token(lms: DevLms) -> None:
    url = registration_start_url(lms, "https://tool.example.com/register?tenant=acme", "tok")
    assert url.startswith("https://tool.example.com/register?tenant=acme&openid_configuration=")
    assert "registration_token=tok" in url
    with pytest.raises(DevLmsError, match="absolute"):
        registration_start_url(lms, "/register", "tok")


@pytest.fixture
def silent_tool() -> Iterator[str]:
    """A registration page that answers 200 but never registers."""
    app = Flask("silent")
    app.add_url_rule("/register", "register", lambda: "Nothing to see")
    server = serve_in_thread(app)
    yield f"http://127.0.0.1:{server.port}/register"
    server.stop()


def test_starting_registration_without_a_browser_reports_a_tool_that_did_not_register(
    lms: DevLms, silent_tool: str
) -> None:
    with pytest.raises(DevLmsError, match="did not register"):
        lms.register_tool_dynamically(silent_tool)
    with pytest.raises(DevLmsError, match="answered 404"):
        lms.register_tool_dynamically(silent_tool.replace("/register", "/missing"))


def test_manual_registration_checks_the_values(lms: DevLms) -> None:
    with pytest.raises(DevLmsError, match="redirect"):
        lms.register_tool(
            "Tool",
            initiate_login_uri="https://tool.example.com/login",
            redirect_uris=[],
            jwks_uri="https://tool.example.com/jwks",
            target_link_uri="https://tool.example.com/launch",
        )
    registration = lms.register_tool(
        "Tool",
        initiate_login_uri="https://tool.example.com/login",
        redirect_uris=["https://tool.example.com/launch"],
        jwks_uri="https://tool.example.com/jwks",
        target_link_uri="https://tool.example.com/launch",
    )
    assert lms.deployment_of(registration.client_id) == registration.deployment_id
    assert lms.tools()[0].registered_by == "manual"
