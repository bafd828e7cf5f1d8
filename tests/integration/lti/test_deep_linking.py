"""Deep linking: a manager picks what to place and the platform gets a signed LtiDeepLinkingResponse."""

from __future__ import annotations

import re
from typing import Any

import jwt
from flask.testing import FlaskClient

from alignment.opportunities import OpportunityDraft, create_opportunity, get_opportunity
from sweetspot.runtime import Runtime
from tests.integration.conftest import World
from tests.integration.lti.conftest import INSTRUCTOR, Platform, launch

SETTINGS = {
    "deep_link_return_url": "https://lms.acme.test/deeplink/return?course=101",
    "accept_types": ["ltiResourceLink"],
    "accept_presentation_document_targets": ["iframe", "window"],
    "accept_multiple": True,
    "accept_lineitem": True,
    "data": "opaque-platform-data",
}
DEEP_LINKING = {
    "MESSAGE_TYPE": "LtiDeepLinkingRequest",
    "RESOURCE_LINK": None,
    "DEEP_LINKING_SETTINGS": SETTINGS,
    "ROLES": [INSTRUCTOR],
    "sub": "u-maria",
    "name": "Maria Manager",
}


def csrf(page: str) -> str:
    """The CSRF token of the page's form."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def returned(page: str, runtime: Runtime, platform: Platform) -> dict[str, Any]:
    """The deep-linking response the page posts back, verified with the tool's published key."""
    assert f'action="{SETTINGS["deep_link_return_url"]}"'.replace("&", "&amp;") in page
    token = re.search(r'name="JWT" value="([^"]+)"', page)
    assert token
    key = runtime.keys.signing
    assert jwt.get_unverified_header(token.group(1))["kid"] == key.kid
    public = jwt.PyJWK(key.public_jwk).key
    body: dict[str, Any] = jwt.decode(token.group(1), public, algorithms=["RS256"], audience=platform.issuer)
    return body


def test_a_manager_places_the_roadmap_and_an_opportunity_and_the_platform_gets_a_signed_response(
    client: FlaskClient, runtime: Runtime, world: World, platform: Platform
) -> None:
    with runtime.unit_of_work() as uow:
        sql = create_opportunity(uow, world.tenant.id, OpportunityDraft("SQL joins", "module", 3, {world.sql.id: 1}))
        uow.commit()
    assert launch(client, platform, **DEEP_LINKING).status_code == 303
    assert client.get("/app/").location.endswith("/app/deep-link")
    picker = client.get("/app/deep-link").text
    assert "SQL joins" in picker
    page = client.post(
        "/app/deep-link", data={"csrf_token": csrf(picker), "place": ["roadmap", f"opportunity-{sql.id}"]}
    ).text
    body = returned(page, runtime, platform)
    assert body["iss"] == platform.client_id
    assert body["https://purl.imsglobal.org/spec/lti/claim/message_type"] == "LtiDeepLinkingResponse"
    assert body["https://purl.imsglobal.org/spec/lti/claim/deployment_id"] == platform.deployment_id
    assert body["https://purl.imsglobal.org/spec/lti-dl/claim/data"] == "opaque-platform-data"
    roadmap, opportunity = body["https://purl.imsglobal.org/spec/lti-dl/claim/content_items"]
    assert roadmap["lineItem"]["scoreMaximum"] == 100 and roadmap["lineItem"]["tag"] == "sweetspot-momentum"
    assert "custom" not in roadmap, "never an empty custom object (Moodle 5.1 fails on it)"
    assert opportunity["custom"] == {"sweetspot_opportunity": str(sql.id)}


def test_a_learner_launch_through_a_placed_opportunity_maps_its_resource_link(
    client: FlaskClient, runtime: Runtime, world: World, platform: Platform
) -> None:
    with runtime.unit_of_work() as uow:
        sql = create_opportunity(uow, world.tenant.id, OpportunityDraft("SQL joins", "module", 3, {world.sql.id: 1}))
        uow.commit()
    launch(client, platform, RESOURCE_LINK={"id": "link-sql"}, CUSTOM={"sweetspot_opportunity": str(sql.id)})
    with runtime.unit_of_work(read_only=True) as uow:
        assert get_opportunity(uow, world.tenant.id, sql.id).lti_resource_link_ids == {"link-sql"}


def test_a_platform_that_takes_one_item_gets_one_or_a_clear_refusal(
    client: FlaskClient, runtime: Runtime, platform: Platform
) -> None:
    launch(client, platform, **{**DEEP_LINKING, "DEEP_LINKING_SETTINGS": {**SETTINGS, "accept_multiple": False}})
    picker = client.get("/app/deep-link").text
    refused = client.post("/app/deep-link", data={"csrf_token": csrf(picker), "place": ["roadmap", "team"]})
    assert refused.status_code == 400
    assert "one at a time" in refused.text
    unknown = client.post("/app/deep-link", data={"csrf_token": csrf(picker), "place": ["opportunity-999999"]})
    assert unknown.status_code == 400


def test_a_learner_cannot_place_content(client: FlaskClient, platform: Platform) -> None:
    launch(client, platform, **{**DEEP_LINKING, "ROLES": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]})
    assert client.get("/app/deep-link").status_code == 403


def test_a_deep_linking_request_without_a_return_url_is_refused_at_launch(
    client: FlaskClient, platform: Platform
) -> None:
    settings = {k: v for k, v in SETTINGS.items() if k != "deep_link_return_url"}
    response = launch(client, platform, **{**DEEP_LINKING, "DEEP_LINKING_SETTINGS": settings})
    assert response.status_code == 400
    assert "deep_link_return_url" in response.text
