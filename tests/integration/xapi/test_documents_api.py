"""The State, Activity Profile and Agent Profile resources, and the Activities and Agents resources."""

import json

from sweetspot.runtime import Runtime
from tests.integration.conftest import World
from tests.integration.xapi.conftest import Lrs, make_credential, statement

ACTIVITY = "https://lms.acme.test/course/python"
AGENT = json.dumps({"objectType": "Agent", "mbox": "mailto:ana@acme.test"})
STATE = {"activityId": ACTIVITY, "agent": AGENT, "stateId": "bookmark"}


def request(lrs: Lrs, method: str, path: str, params: dict[str, str], body: object = None, **headers: str):
    data = None if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    content_type = headers.pop("content_type", "application/json")
    return lrs.client.open(
        f"/xapi/{path}",
        method=method,
        query_string=params,
        data=data,
        headers=lrs.headers(**({"Content-Type": content_type} if data is not None else {}), **headers),
    )


def test_state_is_stored_read_merged_listed_and_deleted(lrs: Lrs) -> None:
    assert request(lrs, "PUT", "activities/state", STATE, {"page": 3}).status_code == 204
    read = request(lrs, "GET", "activities/state", STATE)
    assert read.get_json() == {"page": 3}
    assert read.headers["ETag"] and read.headers["Last-Modified"]
    assert request(lrs, "POST", "activities/state", STATE, {"score": 9}).status_code == 204
    assert request(lrs, "GET", "activities/state", STATE).get_json() == {"page": 3, "score": 9}
    listing = {k: v for k, v in STATE.items() if k != "stateId"}
    assert request(lrs, "GET", "activities/state", listing).get_json() == ["bookmark"]
    assert request(lrs, "DELETE", "activities/state", STATE).status_code == 204
    assert request(lrs, "GET", "activities/state", STATE).status_code == 404


def test_state_is_kept_apart_per_registration_and_tenant(lrs: Lrs, runtime: Runtime, world: World) -> None:
    registration = "6f5d2b2e-0b8e-4f65-9a39-4a0b7a1c8a11"
    request(lrs, "PUT", "activities/state", {**STATE, "registration": registration}, {"page": 1})
    assert request(lrs, "GET", "activities/state", STATE).status_code == 404
    other = Lrs(lrs.client, make_credential(runtime, world.other_tenant.id))
    assert request(other, "GET", "activities/state", {**STATE, "registration": registration}).status_code == 404


def test_merging_into_a_document_that_is_not_json_is_refused(lrs: Lrs) -> None:
    request(lrs, "PUT", "activities/state", STATE, b"plain text", content_type="text/plain")
    refused = request(lrs, "POST", "activities/state", STATE, {"page": 1})
    assert refused.status_code == 400
    assert "cannot be merged" in refused.get_json()["message"]


def test_profile_changes_follow_the_etag_rules(lrs: Lrs) -> None:
    params = {"activityId": ACTIVITY, "profileId": "syllabus"}
    assert request(lrs, "PUT", "activities/profile", params, {"v": 1}, **{"If-None-Match": "*"}).status_code == 204
    etag = request(lrs, "GET", "activities/profile", params).headers["ETag"]
    assert request(lrs, "PUT", "activities/profile", params, {"v": 2}).status_code == 409
    assert request(lrs, "PUT", "activities/profile", params, {"v": 2}, **{"If-None-Match": "*"}).status_code == 412
    assert request(lrs, "PUT", "activities/profile", params, {"v": 2}, **{"If-Match": '"nope"'}).status_code == 412
    assert request(lrs, "PUT", "activities/profile", params, {"v": 2}, **{"If-Match": etag}).status_code == 204
    assert request(lrs, "GET", "activities/profile", params).get_json() == {"v": 2}


def test_agent_profile_round_trip(lrs: Lrs) -> None:
    params = {"agent": AGENT, "profileId": "preferences"}
    unguarded = request(lrs, "PUT", "agents/profile", params, {"theme": "dark"})
    assert unguarded.status_code == 400  # xAPI 1.0.3 wants If-None-Match: * to create a profile
    assert request(lrs, "PUT", "agents/profile", params, {"theme": "dark"}, **{"If-None-Match": "*"}).status_code == 204
    assert request(lrs, "GET", "agents/profile", params).get_json() == {"theme": "dark"}
    assert request(lrs, "GET", "agents/profile", {"agent": AGENT}).get_json() == ["preferences"]


def test_xapi_2_states_also_need_a_concurrency_header_to_be_replaced(lrs: Lrs) -> None:
    lrs.version = "2.0.0"
    assert request(lrs, "PUT", "activities/state", STATE, {"page": 1}).status_code == 204
    assert request(lrs, "PUT", "activities/state", STATE, {"page": 2}).status_code == 409
    etag = request(lrs, "GET", "activities/state", STATE).headers["ETag"]
    assert request(lrs, "PUT", "activities/state", STATE, {"page": 2}, **{"If-Match": etag}).status_code == 204


def test_invalid_json_documents_and_profile_wide_deletes_are_refused(lrs: Lrs) -> None:
    params = {"activityId": ACTIVITY, "profileId": "syllabus"}
    broken = request(lrs, "POST", "activities/profile", params, b'{"a":1}[')
    assert broken.status_code == 400 and "not valid JSON" in broken.get_json()["message"]
    wide = request(lrs, "DELETE", "activities/profile", {"activityId": ACTIVITY})
    assert wide.status_code == 400 and "profileId" in wide.get_json()["message"]


def test_bad_document_parameters_are_named(lrs: Lrs) -> None:
    missing = request(lrs, "GET", "activities/state", {"agent": AGENT, "stateId": "x"})
    assert missing.status_code == 400 and "activityId" in missing.get_json()["message"]
    bad_agent = request(lrs, "GET", "activities/state", {**STATE, "agent": "{}"})
    assert bad_agent.status_code == 400 and "agent" in bad_agent.get_json()["message"]
    unknown = request(lrs, "GET", "activities/state", {**STATE, "colour": "red"})
    assert unknown.status_code == 400 and "colour" in unknown.get_json()["message"]


def test_read_only_credentials_cannot_write_documents(lrs: Lrs, runtime: Runtime, world: World) -> None:
    reader = Lrs(lrs.client, make_credential(runtime, world.tenant.id, read_only=True))
    assert request(reader, "PUT", "activities/state", STATE, {"page": 1}).status_code == 403


def test_activities_resource_returns_the_latest_definition(lrs: Lrs) -> None:
    lrs.post(statement())
    found = request(lrs, "GET", "activities", {"activityId": ACTIVITY}).get_json()
    assert found["definition"]["name"] == {"en-US": "Python for analysts"}
    unknown = request(lrs, "GET", "activities", {"activityId": "https://elsewhere.test/x"}).get_json()
    assert unknown == {"objectType": "Activity", "id": "https://elsewhere.test/x"}


def test_agents_resource_returns_a_person(lrs: Lrs) -> None:
    person = request(lrs, "GET", "agents", {"agent": AGENT}).get_json()
    assert person == {"objectType": "Person", "mbox": ["mailto:ana@acme.test"]}
