"""The deep-linking return: a signed LtiDeepLinkingResponse creates links; anything malformed changes nothing."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask.testing import FlaskClient

from dev_lms import DevLms
from dev_lms import vocabulary as v
from tests.dev_lms.conftest import Cast, Tool
from tests.dev_lms.test_launch import authenticate, id_token


def deep_linking_data(lms: DevLms, client: FlaskClient, tool: Tool, cast: Cast) -> str:
    """Start a deep-linking request as the instructor and return the `data` the platform sent."""
    initiation = lms.deep_linking_form(cast.instructor, cast.course, tool.client_id)
    claims = id_token(lms, tool, authenticate(client, tool, initiation))
    return str(claims[v.DEEP_LINKING_SETTINGS]["data"])


def response_claims(lms: DevLms, tool: Tool, data: str, items: list[Any], **changes: Any) -> dict[str, Any]:
    """A deep-linking response as a tool builds it (Deep Linking 2.0 §4.2)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": tool.client_id,
        "aud": [lms.issuer],
        "iat": now,
        "exp": now + 600,
        "nonce": f"nonce-{time.monotonic_ns()}",
        v.DEPLOYMENT_ID: tool.registration.deployment_id,
        v.MESSAGE_TYPE: "LtiDeepLinkingResponse",
        v.VERSION: "1.3.0",
        v.DL_CONTENT_ITEMS: items,
        v.DL_DATA: data,
    }
    for name, value in changes.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return claims


MOMENTUM = {
    "type": "ltiResourceLink",
    "title": "Sweetspot",
    "custom": {"placement": "roadmap"},
    "lineItem": {"label": "Learning momentum", "scoreMaximum": 100, "tag": "momentum"},
}


def test_a_signed_response_creates_the_links_and_line_items(
    lms: DevLms, client: FlaskClient, tool: Tool, cast: Cast
) -> None:
    data = deep_linking_data(lms, client, tool, cast)
    second = {"type": "ltiResourceLink", "title": "Team view", "url": tool.keys.base_url + "/team"}
    token = tool.keys.sign(response_claims(lms, tool, data, [MOMENTUM, second], **{v.DL_MSG: "Added"}))
    response = client.post("/deep-linking/return", data={"JWT": token})
    assert response.status_code == 200, response.text
    assert "Added" in response.text
    links = lms.resource_links(cast.course)
    assert [link.title for link in links] == ["Sweetspot", "Team view"]
    [item] = lms.line_items(cast.course)
    assert (item.label, item.score_maximum, item.tag, item.resource_link_id) == (
        "Learning momentum",
        100.0,
        "momentum",
        links[0].id,
    )
    team_launch = lms.launch_form(cast.instructor, links[1])
    assert team_launch.params["target_link_uri"] == tool.keys.base_url + "/team"
    assert lms.launch_form(cast.ana, links[0]).params["target_link_uri"] == tool.keys.base_url + "/launch"
    # The same request cannot be answered twice.
    again = tool.keys.sign(response_claims(lms, tool, data, [MOMENTUM]))
    assert "already been answered" in client.post("/deep-linking/return", data={"JWT": again}).text
    assert len(lms.resource_links(cast.course)) == 2


@pytest.mark.parametrize(
    ("item_changes", "named"),
    [
        ({"custom": {}}, "custom is an empty object"),
        ({"custom": {"n": 1}}, "custom values must all be strings"),
        ({"type": "file"}, "was not accepted"),
        ({"url": "javascript:alert(1)"}, "url must be an absolute"),
        ({"url": "https://elsewhere.example.com/launch"}, "registered domain"),
        ({"lineItem": {"label": "x", "scoreMaximum": 0}}, "scoreMaximum"),
        ({"lineItem": {"label": "x"}}, "scoreMaximum"),
        ({"title": 5}, "title and text must be strings"),
        ({"window": "yes"}, "window must be an object"),
    ],
)
def test_a_malformed_content_item_refuses_the_whole_response(
    lms: DevLms, client: FlaskClient, tool: Tool, cast: Cast, item_changes: dict[str, Any], named: str
) -> None:
    data = deep_linking_data(lms, client, tool, cast)
    bad_item = {**MOMENTUM, **item_changes}
    token = tool.keys.sign(response_claims(lms, tool, data, [MOMENTUM, bad_item]))
    response = client.post("/deep-linking/return", data={"JWT": token})
    assert response.status_code == 400
    assert "content item 2" in response.text
    assert named in response.text
    assert lms.resource_links(cast.course) == []
    assert lms.line_items(cast.course) == []


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"aud": "https://another-platform.example.com"}, "aud must be"),
        ({"exp": int(time.time()) - 3600}, "expired"),
        ({"iat": None}, "iat is required"),
        ({"nonce": None}, "nonce is required"),
        ({v.DEPLOYMENT_ID: "deployment-other"}, "deployment"),
        ({v.MESSAGE_TYPE: "LtiResourceLinkRequest"}, "LtiDeepLinkingResponse"),
        ({v.VERSION: "1.1"}, "1.3.0"),
        ({v.DL_DATA: "forged"}, "must echo the data"),
        ({v.DL_DATA: None}, "must echo the data"),
        ({v.DL_CONTENT_ITEMS: {"type": "ltiResourceLink"}}, "must be an array"),
        ({v.DL_ERRORMSG: "The tool broke"}, "The tool broke"),
    ],
)
def test_a_faulty_response_is_refused_with_a_clear_message(
    lms: DevLms, client: FlaskClient, tool: Tool, cast: Cast, changes: dict[str, Any], named: str
) -> None:
    data = deep_linking_data(lms, client, tool, cast)
    token = tool.keys.sign(response_claims(lms, tool, data, [MOMENTUM], **changes))
    response = client.post("/deep-linking/return", data={"JWT": token})
    assert response.status_code == 400
    assert named in response.text
    assert lms.resource_links(cast.course) == []


def test_a_response_must_be_signed_by_the_tools_key(
    lms: DevLms, client: FlaskClient, tool: Tool, cast: Cast, new_pem: Any
) -> None:
    from jwcrypto import jwk

    from tests.dev_lms.conftest import ToolKeys

    data = deep_linking_data(lms, client, tool, cast)
    claims = response_claims(lms, tool, data, [MOMENTUM])
    impostor = ToolKeys(jwk.JWK.from_pem(new_pem().encode()), "", tool.keys.base_url)
    assert "no key with kid" in client.post("/deep-linking/return", data={"JWT": impostor.sign(claims)}).text
    unsigned = impostor.sign(claims, kid=False)
    assert "does not verify" in client.post("/deep-linking/return", data={"JWT": unsigned}).text
    hmac = tool.keys.sign(claims).split(".")
    forged_header = "eyJhbGciOiJub25lIn0"  # {"alg":"none"}
    assert "only RS256" in client.post("/deep-linking/return", data={"JWT": f"{forged_header}.{hmac[1]}."}).text
    assert "no JWT" in client.post("/deep-linking/return", data={}).text
    assert "three dot-separated" in client.post("/deep-linking/return", data={"JWT": "garbage"}).text
    assert lms.resource_links(cast.course) == []


def test_a_replayed_nonce_is_refused(lms: DevLms, client: FlaskClient, tool: Tool, cast: Cast) -> None:
    first = deep_linking_data(lms, client, tool, cast)
    second = deep_linking_data(lms, client, tool, cast)
    claims = response_claims(lms, tool, first, [MOMENTUM], nonce="same-nonce")
    assert client.post("/deep-linking/return", data={"JWT": tool.keys.sign(claims)}).status_code == 200
    replay = response_claims(lms, tool, second, [MOMENTUM], nonce="same-nonce")
    response = client.post("/deep-linking/return", data={"JWT": tool.keys.sign(replay)})
    assert response.status_code == 400
    assert "nonce has already been used" in response.text
