"""Launches: the login initiation, the authorization endpoint's checks, and the id_token's claims."""

from __future__ import annotations

from typing import Any

import jwt
import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from dev_lms import DevLms, DevLmsError, LineItemSpec, LoginInitiation
from dev_lms import vocabulary as v
from dev_lms.browser import only_form
from tests.dev_lms.conftest import Cast, Clock, Tool


def authenticate(client: FlaskClient, tool: Tool, initiation: LoginInitiation, **changes: Any) -> TestResponse:
    """Send the tool's OIDC authentication request for `initiation`, with some parameters changed or dropped."""
    params = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": tool.client_id,
        "redirect_uri": tool.redirect_uri,
        "login_hint": initiation.params["login_hint"],
        "lti_message_hint": initiation.params["lti_message_hint"],
        "state": "state-1",
        "nonce": "nonce-1",
    }
    params.update(changes)
    return client.get("/oidc/auth", query_string={k: x for k, x in params.items() if x is not None})


def id_token(lms: DevLms, tool: Tool, response: TestResponse) -> dict[str, Any]:
    """The id_token of an authentication response, verified with PyJWT against the platform's JWKS."""
    assert response.status_code == 200, response.text
    form = only_form(response.text)
    assert form.action == tool.redirect_uri
    assert form.method == "POST"
    assert form.fields["state"] == "state-1"
    header = jwt.get_unverified_header(form.fields["id_token"])
    assert header["kid"] == lms.key.kid
    key = jwt.PyJWK(lms.key.public_jwk())
    return jwt.decode(form.fields["id_token"], key, algorithms=["RS256"], audience=tool.client_id, issuer=lms.issuer)


def refusal(response: TestResponse) -> dict[str, str]:
    """The OAuth error answered to the tool's redirect URI."""
    assert response.status_code == 200, response.text
    return only_form(response.text).fields


def test_login_initiation_carries_every_parameter_and_offers_platform_storage(
    lms: DevLms, tool: Tool, cast: Cast
) -> None:
    link = lms.add_resource_link(cast.course, tool.client_id, "Sweetspot")
    initiation = lms.launch_form(cast.ana, link)
    assert initiation.url == tool.keys.base_url + "/login"
    assert initiation.method == "POST"
    assert initiation.params["iss"] == lms.issuer
    assert initiation.params["login_hint"] == cast.ana.user_id
    assert initiation.params["target_link_uri"] == tool.keys.base_url + "/launch"
    assert initiation.params["client_id"] == tool.client_id
    assert initiation.params["lti_deployment_id"] == tool.registration.deployment_id
    assert initiation.params["lti_storage_target"] == "_parent"
    assert initiation.params["lti_message_hint"]
    in_window = lms.launch_form(cast.ana, link, method="GET", document_target="window")
    assert in_window.method == "GET"
    assert "lti_storage_target" not in in_window.params
    without_storage = lms.launch_form(cast.ana, link, offer_platform_storage=False)
    assert "lti_storage_target" not in without_storage.params


def test_the_id_token_carries_the_full_claim_set(lms: DevLms, client: FlaskClient, tool: Tool, cast: Cast) -> None:
    link = lms.add_resource_link(
        cast.course,
        tool.client_id,
        "Sweetspot",
        custom={"context": "$Context.id", "unknown": "$Unknown.variable"},
        line_item=LineItemSpec("Learning momentum", 100),
    )
    claims = id_token(lms, tool, authenticate(client, tool, lms.launch_form(cast.ana, link)))
    assert claims["sub"] == cast.ana.user_id
    assert claims["nonce"] == "nonce-1"
    assert claims["azp"] == tool.client_id
    assert claims["exp"] > claims["iat"]
    assert (claims["name"], claims["given_name"], claims["family_name"]) == ("Ana Diaz", "Ana", "Diaz")
    assert claims["email"] == "ana@example.com"
    assert claims[v.MESSAGE_TYPE] == "LtiResourceLinkRequest"
    assert claims[v.VERSION] == "1.3.0"
    assert claims[v.DEPLOYMENT_ID] == tool.registration.deployment_id
    assert claims[v.TARGET_LINK_URI] == tool.keys.base_url + "/launch"
    assert claims[v.RESOURCE_LINK] == {"id": link.id, "title": "Sweetspot", "description": ""}
    assert claims[v.ROLES] == [v.LEARNER]
    assert claims[v.CONTEXT] == {
        "id": "course-1",
        "label": "LEAD",
        "title": "Leading teams",
        "type": [v.COURSE_OFFERING],
    }
    assert claims[v.TOOL_PLATFORM]["guid"] == lms.guid
    assert claims[v.LAUNCH_PRESENTATION] == {
        "locale": "en",
        "document_target": "iframe",
        "return_url": lms.url(f"/courses/{cast.course.id}"),
    }
    assert claims[v.CUSTOM] == {
        "user": cast.ana.user_id,
        "years": "3",
        "fixed": "value",
        "context": "course-1",
        "unknown": "$Unknown.variable",
    }
    assert claims[v.LIS] == {"person_sourcedid": cast.ana.user_id, "course_section_sourcedid": "course-1"}
    [item] = lms.line_items(cast.course)
    assert claims[v.AGS_ENDPOINT] == {
        "scope": list(v.AGS_SCOPES),
        "lineitems": lms.lineitems_url(cast.course.id),
        "lineitem": lms.lineitem_url(cast.course.id, item.id),
    }
    assert claims[v.NRPS_SERVICE] == {
        "context_memberships_url": lms.memberships_url(cast.course.id),
        "service_versions": ["2.0"],
    }
    assert v.ROLE_SCOPE_MENTOR not in claims


def test_a_mentor_launch_names_the_mentees(lms: DevLms, client: FlaskClient, tool: Tool, cast: Cast) -> None:
    link = lms.add_resource_link(cast.course, tool.client_id, "Sweetspot")
    claims = id_token(lms, tool, authenticate(client, tool, lms.launch_form(cast.mentor, link)))
    assert claims[v.ROLES] == [v.MENTOR]
    assert claims[v.ROLE_SCOPE_MENTOR] == [cast.ana.user_id]


def test_a_tool_without_service_scopes_gets_no_service_claims(lms: DevLms, client: FlaskClient, cast: Cast) -> None:
    registration = lms.register_tool(
        "Plain tool",
        initiate_login_uri="http://tool.test/login",
        redirect_uris=["http://tool.test/launch"],
        jwks_uri="http://tool.test/jwks",
        target_link_uri="http://tool.test/launch",
        scopes=[],
    )
    link = lms.add_resource_link(cast.course, registration.client_id, "Plain")
    initiation = lms.launch_form(cast.ben, link)
    response = client.post(
        "/oidc/auth",
        data={
            "scope": "openid",
            "response_type": "id_token",
            "response_mode": "form_post",
            "prompt": "none",
            "client_id": registration.client_id,
            "redirect_uri": "http://tool.test/launch",
            "login_hint": cast.ben.user_id,
            "lti_message_hint": initiation.params["lti_message_hint"],
            "nonce": "n",
        },
    )
    token = only_form(response.text).fields["id_token"]
    claims = jwt.decode(token, jwt.PyJWK(lms.key.public_jwk()), algorithms=["RS256"], audience=registration.client_id)
    assert v.AGS_ENDPOINT not in claims
    assert v.NRPS_SERVICE not in claims


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"scope": "profile"}, "invalid_scope"),
        ({"response_type": "code"}, "unsupported_response_type"),
        ({"response_mode": "query"}, "invalid_request"),
        ({"prompt": None}, "invalid_request"),
        ({"nonce": None}, "invalid_request"),
        ({"lti_message_hint": "made-up"}, "invalid_request"),
        ({"login_hint": "someone-else"}, "login_required"),
    ],
)
def test_a_faulty_authentication_request_is_answered_with_an_oauth_error(
    lms: DevLms, client: FlaskClient, tool: Tool, cast: Cast, changes: dict[str, Any], error: str
) -> None:
    link = lms.add_resource_link(cast.course, tool.client_id, "Sweetspot")
    fields = refusal(authenticate(client, tool, lms.launch_form(cast.ana, link), **changes))
    assert fields["error"] == error
    assert fields["error_description"]
    assert fields["state"] == "state-1"
    assert "id_token" not in fields


def test_an_unknown_client_or_unregistered_redirect_uri_is_refused_without_redirecting(
    lms: DevLms, client: FlaskClient, tool: Tool, cast: Cast
) -> None:
    link = lms.add_resource_link(cast.course, tool.client_id, "Sweetspot")
    initiation = lms.launch_form(cast.ana, link)
    unknown_client = authenticate(client, tool, initiation, client_id="nobody")
    assert unknown_client.status_code == 400
    assert "client_id" in unknown_client.text
    wrong_redirect = authenticate(client, tool, initiation, redirect_uri="http://evil.test/launch")
    assert wrong_redirect.status_code == 400
    assert "redirect_uri" in wrong_redirect.text
    assert "<form" not in wrong_redirect.text


def test_a_launch_can_be_used_once_and_expires(
    lms: DevLms, client: FlaskClient, tool: Tool, cast: Cast, clock: Clock
) -> None:
    link = lms.add_resource_link(cast.course, tool.client_id, "Sweetspot")
    initiation = lms.launch_form(cast.ana, link)
    assert "id_token" in refusal(authenticate(client, tool, initiation))
    assert "already been used" in refusal(authenticate(client, tool, initiation))["error_description"]
    late = lms.launch_form(cast.ana, link)
    clock.advance(minutes=11)
    assert "expired" in refusal(authenticate(client, tool, late))["error_description"]


def test_only_active_members_can_launch(lms: DevLms, client: FlaskClient, tool: Tool, cast: Cast) -> None:
    link = lms.add_resource_link(cast.course, tool.client_id, "Sweetspot")
    started = lms.launch_form(cast.ben, link)
    lms.deactivate_member(cast.course, cast.ben)
    assert refusal(authenticate(client, tool, started))["error"] == "access_denied"
    lms.reactivate_member(cast.course, cast.ben)
    lms.deactivate_member(cast.course, cast.ben)
    with pytest.raises(DevLmsError, match="not active"):
        lms.launch_form(cast.ben, link)
    with pytest.raises(DevLmsError, match="GET or a POST"):
        lms.launch_form(cast.ana, link, method="PUT")


def test_a_deep_linking_request_carries_its_settings(lms: DevLms, client: FlaskClient, tool: Tool, cast: Cast) -> None:
    initiation = lms.deep_linking_form(cast.instructor, cast.course, tool.client_id)
    assert initiation.params["target_link_uri"] == tool.keys.base_url + "/deep-link"
    claims = id_token(lms, tool, authenticate(client, tool, initiation))
    assert claims[v.MESSAGE_TYPE] == "LtiDeepLinkingRequest"
    assert v.RESOURCE_LINK not in claims
    settings = claims[v.DEEP_LINKING_SETTINGS]
    assert settings["deep_link_return_url"] == lms.deep_link_return_url
    assert settings["accept_types"] == ["ltiResourceLink"]
    assert settings["accept_multiple"] is True
    assert settings["accept_lineitem"] is True
    assert settings["data"]
    with pytest.raises(DevLmsError, match="instructor or administrator"):
        lms.deep_linking_form(cast.ana, cast.course, tool.client_id)
