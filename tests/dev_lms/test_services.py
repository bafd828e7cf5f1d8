"""The token endpoint, AGS and NRPS: each rule, each rejection, media types, paging and the failure switch."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from dev_lms import DevLms, LineItemSpec
from dev_lms import vocabulary as v
from tests.dev_lms.conftest import Cast, Clock, Tool


def assertion(lms: DevLms, tool: Tool, **changes: Any) -> str:
    """A client assertion signed by the tool (RFC 7523 §3)."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": tool.client_id,
        "sub": tool.client_id,
        "aud": lms.token_url,
        "iat": now,
        "exp": now + 60,
        "jti": str(uuid.uuid4()),
    }
    for name, value in changes.items():
        if value is None:
            claims.pop(name, None)
        else:
            claims[name] = value
    return tool.keys.sign(claims)


def request_token(client: FlaskClient, signed: str, scopes: list[str], **changes: Any) -> TestResponse:
    form = {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": signed,
        "scope": " ".join(scopes),
    }
    form.update(changes)
    return client.post("/oauth2/token", data={k: x for k, x in form.items() if x is not None})


def bearer(
    lms: DevLms, client: FlaskClient, tool: Tool, scopes: list[str] | tuple[str, ...] = v.SERVICE_SCOPES
) -> dict:
    response = request_token(client, assertion(lms, tool), list(scopes))
    assert response.status_code == 200, response.text
    return {"Authorization": "Bearer " + response.get_json()["access_token"]}


def score(user_id: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "userId": user_id,
        "scoreGiven": 7,
        "scoreMaximum": 10,
        "activityProgress": "Completed",
        "gradingProgress": "FullyGraded",
        "timestamp": datetime.now(UTC).isoformat(),
        "comment": "On pace",
    }
    for name, value in changes.items():
        if value is None:
            body.pop(name, None)
        else:
            body[name] = value
    return body


def post_score(client: FlaskClient, url: str, headers: dict, body: dict[str, Any]) -> TestResponse:
    return client.post(url + "/scores", json=body, headers={**headers, "Content-Type": v.SCORE_MEDIA_TYPE})


def path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


# Tokens ---------------------------------------------------------------------------------------------------


def test_a_signed_assertion_gets_a_bearer_token_for_the_registered_scopes(
    lms: DevLms, client: FlaskClient, tool: Tool
) -> None:
    response = request_token(client, assertion(lms, tool), [v.SCOPE_SCORE, v.SCOPE_NRPS])
    assert response.status_code == 200, response.text
    answer = response.get_json()
    assert answer["token_type"] == "Bearer"
    assert answer["expires_in"] == 3600
    assert answer["scope"] == f"{v.SCOPE_SCORE} {v.SCOPE_NRPS}"
    assert response.headers["Cache-Control"] == "no-store"
    [logged] = lms.recent_calls()
    assert (logged.client_id, logged.path, logged.status) == (tool.client_id, "/oauth2/token", 200)


@pytest.mark.parametrize(
    ("claims", "named"),
    [
        ({"aud": "http://elsewhere.example.com/token"}, "aud must be"),
        ({"sub": "someone-else"}, "sub must equal iss"),
        ({"exp": int(time.time()) - 600}, "expired"),
        ({"exp": None}, "exp is required"),
        ({"iat": int(time.time()) + 3600}, "iat is in the future"),
        ({"jti": None}, "jti is required"),
    ],
)
def test_a_faulty_assertion_is_an_invalid_client(
    lms: DevLms, client: FlaskClient, tool: Tool, claims: dict[str, Any], named: str
) -> None:
    response = request_token(client, assertion(lms, tool, **claims), [v.SCOPE_SCORE])
    assert response.status_code == 401
    assert response.get_json()["error"] == "invalid_client"
    assert named in response.get_json()["error_description"]


def test_a_token_request_must_be_form_encoded(lms: DevLms, client: FlaskClient, tool: Tool) -> None:
    body = {
        "grant_type": "client_credentials",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        "client_assertion": assertion(lms, tool),
        "scope": v.SCOPE_SCORE,
    }
    response = client.post("/oauth2/token", json=body)
    assert response.status_code == 400
    assert "x-www-form-urlencoded" in response.get_json()["error_description"]


def test_an_assertion_can_be_used_once(lms: DevLms, client: FlaskClient, tool: Tool) -> None:
    signed = assertion(lms, tool)
    assert request_token(client, signed, [v.SCOPE_SCORE]).status_code == 200
    again = request_token(client, signed, [v.SCOPE_SCORE])
    assert again.status_code == 401
    assert "jti has already been used" in again.get_json()["error_description"]


@pytest.mark.parametrize(
    ("changes", "status", "error"),
    [
        ({"grant_type": "password"}, 400, "unsupported_grant_type"),
        ({"client_assertion_type": "urn:other"}, 400, "invalid_request"),
        ({"client_assertion": None}, 400, "invalid_request"),
        ({"scope": ""}, 400, "invalid_scope"),
        ({"client_assertion": "not-a-jwt"}, 400, "invalid_client"),
    ],
)
def test_a_faulty_token_request_is_refused(
    lms: DevLms, client: FlaskClient, tool: Tool, changes: dict[str, Any], status: int, error: str
) -> None:
    response = request_token(client, assertion(lms, tool), [v.SCOPE_SCORE], **changes)
    assert response.status_code == status
    assert response.get_json()["error"] == error


def test_scopes_are_limited_to_what_the_tool_registered(lms: DevLms, client: FlaskClient, tool_keys: Any) -> None:
    from tests.dev_lms.conftest import Tool as RegisteredTool

    registration = lms.register_tool(
        "Scores only",
        initiate_login_uri=tool_keys.base_url + "/login",
        redirect_uris=[tool_keys.base_url + "/launch"],
        jwks_uri=tool_keys.jwks_uri,
        target_link_uri=tool_keys.base_url + "/launch",
        scopes=[v.SCOPE_SCORE],
    )
    tool = RegisteredTool(registration, tool_keys)
    response = request_token(client, assertion(lms, tool), [v.SCOPE_SCORE, v.SCOPE_NRPS])
    assert response.status_code == 400
    assert response.get_json()["error"] == "invalid_scope"
    assert v.SCOPE_NRPS in response.get_json()["error_description"]
    unknown = request_token(client, assertion(lms, tool, iss="nobody", sub="nobody"), [v.SCOPE_SCORE])
    assert unknown.status_code == 401


def test_a_service_call_needs_a_live_token_with_a_fitting_scope(
    lms: DevLms, client: FlaskClient, tool: Tool, cast: Cast, clock: Clock
) -> None:
    url = path(lms.memberships_url(cast.course.id))
    missing = client.get(url)
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get(url, headers={"Authorization": "Bearer made-up"}).status_code == 401
    scores_only = bearer(lms, client, tool, [v.SCOPE_SCORE])
    wrong_scope = client.get(url, headers=scores_only)
    assert wrong_scope.status_code == 403
    assert wrong_scope.get_json()["error"] == "insufficient_scope"
    headers = bearer(lms, client, tool)
    assert client.get(url, headers=headers).status_code == 200
    clock.advance(hours=1, seconds=1)
    expired = client.get(url, headers=headers)
    assert expired.status_code == 401
    assert 'error="invalid_token"' in expired.headers["WWW-Authenticate"]


# AGS ------------------------------------------------------------------------------------------------------


def test_line_items_can_be_created_read_filtered_updated_and_deleted(
    lms: DevLms, client: FlaskClient, tool: Tool, cast: Cast
) -> None:
    headers = bearer(lms, client, tool)
    link = lms.add_resource_link(cast.course, tool.client_id, "Sweetspot")
    container = path(lms.lineitems_url(cast.course.id))
    as_lineitem = {**headers, "Content-Type": v.LINEITEM_MEDIA_TYPE}
    created = client.post(
        container,
        json={"label": "Learning momentum", "scoreMaximum": 100, "tag": "momentum", "resourceLinkId": link.id},
        headers=as_lineitem,
    )
    assert created.status_code == 201, created.text
    assert created.mimetype == v.LINEITEM_MEDIA_TYPE
    item = created.get_json()
    assert created.headers["Location"] == item["id"]
    assert item == {
        "id": item["id"],
        "label": "Learning momentum",
        "scoreMaximum": 100.0,
        "tag": "momentum",
        "resourceLinkId": link.id,
    }
    for label in ("Second", "Third"):
        client.post(container, json={"label": label, "scoreMaximum": 5, "resourceId": label}, headers=as_lineitem)

    listed = client.get(container, headers=headers)
    assert listed.mimetype == v.LINEITEM_CONTAINER_MEDIA_TYPE
    assert [i["label"] for i in listed.get_json()] == ["Learning momentum", "Second", "Third"]
    assert [i["label"] for i in client.get(container + "?tag=momentum", headers=headers).get_json()] == [
        "Learning momentum"
    ]
    by_link = client.get(container, query_string={"resource_link_id": link.id}, headers=headers).get_json()
    assert [i["label"] for i in by_link] == ["Learning momentum"]
    assert [i["label"] for i in client.get(container + "?resource_id=Third", headers=headers).get_json()] == ["Third"]

    first_page = client.get(container + "?limit=2", headers=headers)
    assert [i["label"] for i in first_page.get_json()] == ["Learning momentum", "Second"]
    assert 'rel="next"' in first_page.headers["Link"]
    next_url = first_page.headers["Link"].split('rel="last"')[1].split("<")[1].split(">")[0]
    second_page = client.get(path(next_url), headers=headers)
    assert [i["label"] for i in second_page.get_json()] == ["Third"]
    assert 'rel="next"' not in second_page.headers["Link"]

    updated = client.put(path(item["id"]), json={"label": "Momentum", "scoreMaximum": 10}, headers=as_lineitem)
    assert updated.status_code == 200
    assert (updated.get_json()["label"], updated.get_json()["scoreMaximum"]) == ("Momentum", 10.0)
    assert updated.get_json()["resourceLinkId"] == link.id
    moved = client.put(
        path(item["id"]), json={"label": "M", "scoreMaximum": 10, "resourceLinkId": "other"}, headers=as_lineitem
    )
    assert moved.status_code == 400
    assert client.get(path(item["id"]), headers=headers).get_json()["label"] == "Momentum"
    assert client.delete(path(item["id"]), headers=headers).status_code == 204
    assert client.get(path(item["id"]), headers=headers).status_code == 404


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"label": "x"}, "scoreMaximum"),
        ({"label": "x", "scoreMaximum": -1}, "scoreMaximum"),
        ({"label": "", "scoreMaximum": 1}, "label"),
        ({"label": "x", "scoreMaximum": 1, "tag": 3}, "tag"),
        ({"label": "x", "scoreMaximum": 1, "resourceLinkId": "nope"}, "resourceLinkId"),
        ({"label": "x", "scoreMaximum": 1, "startDateTime": "yesterday"}, "startDateTime"),
    ],
)
def test_a_faulty_line_item_is_refused(
    lms: DevLms, client: FlaskClient, tool: Tool, cast: Cast, body: dict[str, Any], named: str
) -> None:
    headers = {**bearer(lms, client, tool), "Content-Type": v.LINEITEM_MEDIA_TYPE}
    response = client.post(path(lms.lineitems_url(cast.course.id)), json=body, headers=headers)
    assert response.status_code == 400
    assert named in response.get_json()["error_description"]
    assert lms.line_items(cast.course) == []


def test_service_bodies_must_have_their_media_type(lms: DevLms, client: FlaskClient, tool: Tool, cast: Cast) -> None:
    headers = bearer(lms, client, tool)
    response = client.post(
        path(lms.lineitems_url(cast.course.id)), json={"label": "x", "scoreMaximum": 1}, headers=headers
    )
    assert response.status_code == 415
    assert v.LINEITEM_MEDIA_TYPE in response.get_json()["error_description"]


def test_a_read_only_token_cannot_change_line_items(lms: DevLms, client: FlaskClient, tool: Tool, cast: Cast) -> None:
    headers = {**bearer(lms, client, tool, [v.SCOPE_LINEITEM_READONLY]), "Content-Type": v.LINEITEM_MEDIA_TYPE}
    container = path(lms.lineitems_url(cast.course.id))
    assert client.get(container, headers=headers).status_code == 200
    assert client.post(container, json={"label": "x", "scoreMaximum": 1}, headers=headers).status_code == 403


def test_a_tool_sees_only_its_own_line_items(
    lms: DevLms, client: FlaskClient, tool: Tool, cast: Cast, tool_keys: Any
) -> None:
    other = lms.register_tool(
        "Other",
        initiate_login_uri="https://other.example.com/login",
        redirect_uris=["https://other.example.com/launch"],
        jwks_uri="https://other.example.com/jwks",
        target_link_uri="https://other.example.com/launch",
    )
    foreign = lms.add_resource_link(cast.course, other.client_id, "Other", line_item=LineItemSpec("Theirs", 10))
    headers = bearer(lms, client, tool)
    assert client.get(path(lms.lineitems_url(cast.course.id)), headers=headers).get_json() == []
    [item] = lms.line_items(cast.course)
    assert client.get(path(lms.lineitem_url(cast.course.id, item.id)), headers=headers).status_code == 404
    assert foreign.client_id == other.client_id


def test_scores_are_recorded_and_read_back_as_results(lms: DevLms, client: FlaskClient, tool: Tool, cast: Cast) -> None:
    link = lms.add_resource_link(cast.course, tool.client_id, "Sweetspot", line_item=LineItemSpec("Momentum", 10))
    [item] = lms.line_items(cast.course)
    url = path(lms.lineitem_url(cast.course.id, item.id))
    headers = bearer(lms, client, tool)
    assert post_score(client, url, headers, score(cast.ana.user_id)).status_code == 204
    assert (
        post_score(client, url, headers, score(cast.ben.user_id, scoreGiven=None, scoreMaximum=None)).status_code == 204
    )
    [ana, ben] = sorted(lms.scores(cast.course), key=lambda s: s.user_id != cast.ana.user_id)
    assert (ana.score_given, ana.score_maximum, ana.comment) == (7.0, 10.0, "On pace")
    assert ben.score_given is None
    results = client.get(url + "/results", headers=headers)
    assert results.mimetype == v.RESULT_CONTAINER_MEDIA_TYPE
    by_user = {r["userId"]: r for r in results.get_json()}
    assert by_user[cast.ana.user_id]["resultScore"] == 7.0
    assert by_user[cast.ana.user_id]["resultMaximum"] == 10.0
    assert by_user[cast.ana.user_id]["scoreOf"] == lms.lineitem_url(cast.course.id, item.id)
    assert "resultScore" not in by_user[cast.ben.user_id]
    only_ana = client.get(url + "/results", query_string={"user_id": cast.ana.user_id}, headers=headers).get_json()
    assert [r["userId"] for r in only_ana] == [cast.ana.user_id]
    assert link.id


def test_the_newer_timestamp_wins(lms: DevLms, client: FlaskClient, tool: Tool, cast: Cast) -> None:
    lms.add_resource_link(cast.course, tool.client_id, "Sweetspot", line_item=LineItemSpec("Momentum", 10))
    [item] = lms.line_items(cast.course)
    url = path(lms.lineitem_url(cast.course.id, item.id))
    headers = bearer(lms, client, tool)
    now = datetime.now(UTC)
    first = score(cast.ana.user_id, scoreGiven=5, timestamp=now.isoformat())
    assert post_score(client, url, headers, first).status_code == 204
    assert post_score(client, url, headers, first).status_code == 204  # a retried identical score is no change
    older = score(cast.ana.user_id, scoreGiven=9, timestamp=(now - timedelta(minutes=1)).isoformat())
    refused = post_score(client, url, headers, older)
    assert refused.status_code == 409
    same_time = score(cast.ana.user_id, scoreGiven=9, timestamp=now.isoformat())
    assert post_score(client, url, headers, same_time).status_code == 409
    assert lms.scores(cast.course)[0].score_given == 5
    newer = score(cast.ana.user_id, scoreGiven=6, timestamp=(now + timedelta(seconds=1)).isoformat())
    assert post_score(client, url, headers, newer).status_code == 204
    assert lms.scores(cast.course)[0].score_given == 6


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"scoreGiven": 11}, "more than scoreMaximum"),
        ({"scoreGiven": -1}, "scoreGiven"),
        ({"scoreMaximum": None}, "scoreMaximum"),
        ({"scoreMaximum": 0}, "scoreMaximum"),
        ({"activityProgress": "Done"}, "activityProgress"),
        ({"gradingProgress": None}, "gradingProgress"),
        ({"timestamp": None}, "timestamp"),
        ({"timestamp": "2026-11-23T10:00:00"}, "time zone"),
        ({"timestamp": "last tuesday"}, "ISO 8601"),
        ({"comment": 5}, "comment"),
        ({"userId": None}, "userId"),
        ({"userId": "stranger"}, "not a member"),
        ({"userId": "removed"}, "not a member"),
        ({"scoreGiven": True}, "scoreGiven"),
    ],
)
def test_a_faulty_score_is_refused(
    lms: DevLms, client: FlaskClient, tool: Tool, cast: Cast, changes: dict[str, Any], named: str
) -> None:
    lms.add_resource_link(cast.course, tool.client_id, "Sweetspot", line_item=LineItemSpec("Momentum", 10))
    [item] = lms.line_items(cast.course)
    lms.remove_member(cast.course, cast.ben)
    if changes.get("userId") == "removed":
        changes = {"userId": cast.ben.user_id}
    response = post_score(
        client,
        path(lms.lineitem_url(cast.course.id, item.id)),
        bearer(lms, client, tool),
        score(cast.ana.user_id, **changes),
    )
    assert response.status_code == 400
    assert named in response.get_json()["error_description"]
    assert lms.scores(cast.course) == []


# NRPS -----------------------------------------------------------------------------------------------------


def test_the_roster_pages_and_reports_differences(lms: DevLms, client: FlaskClient, tool: Tool, cast: Cast) -> None:
    headers = bearer(lms, client, tool)
    url = path(lms.memberships_url(cast.course.id))
    whole = client.get(url, headers=headers)
    assert whole.mimetype == v.MEMBERSHIP_CONTAINER_MEDIA_TYPE
    body = whole.get_json()
    assert body["id"] == lms.memberships_url(cast.course.id)
    assert body["context"] == {"id": "course-1", "label": "LEAD", "title": "Leading teams"}
    ana = next(m for m in body["members"] if m["user_id"] == cast.ana.user_id)
    assert ana == {
        "status": "Active",
        "name": "Ana Diaz",
        "given_name": "Ana",
        "family_name": "Diaz",
        "email": "ana@example.com",
        "user_id": cast.ana.user_id,
        "lis_person_sourcedid": cast.ana.user_id,
        "roles": [v.LEARNER],
    }
    differences = whole.headers["Link"].split("<")[1].split(">")[0]
    assert 'rel="differences"' in whole.headers["Link"]

    seen: list[str] = []
    page_url: str | None = url + "?limit=3"
    while page_url:
        page = client.get(page_url, headers=headers)
        seen += [m["user_id"] for m in page.get_json()["members"]]
        link = page.headers["Link"]
        page_url = next((path(p.split(">")[0][1:]) for p in link.split(", ") if 'rel="next"' in p), None)
    assert len(seen) == 4
    assert len(set(seen)) == 4

    learners = client.get(url, query_string={"role": "Learner"}, headers=headers).get_json()["members"]
    assert {m["user_id"] for m in learners} == {cast.ana.user_id, cast.ben.user_id}

    assert client.get(path(differences), headers=headers).get_json()["members"] == []
    lms.deactivate_member(cast.course, cast.ben)
    newcomer = lms.add_person(cast.course, "Noor Haddad", "noor@example.com", [v.LEARNER])
    changed = client.get(path(differences), headers=headers).get_json()["members"]
    assert [(m["user_id"], m["status"]) for m in changed] == [
        (cast.ben.user_id, "Inactive"),
        (newcomer.user_id, "Active"),
    ]
    since_then = client.get(path(differences), headers=headers).headers["Link"].split("<")[-1].split(">")[0]
    lms.remove_member(cast.course, cast.mentor)
    assert cast.mentor.user_id not in {m["user_id"] for m in client.get(url, headers=headers).get_json()["members"]}
    removed = client.get(path(since_then), headers=headers).get_json()["members"]
    assert [(m["user_id"], m["status"]) for m in removed] == [(cast.mentor.user_id, "Deleted")]
    assert client.get(url + "?since=yesterday", headers=headers).status_code == 400
    assert client.get(url + "?limit=0", headers=headers).status_code == 400
    assert client.get(url + "?rlid=unknown", headers=headers).status_code == 400
    assert client.get("/api/nrps/999/memberships", headers=headers).status_code == 404


# The failure switch and the log -------------------------------------------------------------------------------


def test_the_failure_switch_fails_the_next_calls_then_recovers(
    lms: DevLms, client: FlaskClient, tool: Tool, cast: Cast
) -> None:
    headers = bearer(lms, client, tool)
    url = path(lms.memberships_url(cast.course.id))
    lms.fail_next_service_calls(2)
    first = client.get(url, headers=headers)
    assert first.status_code == 503
    assert first.headers["Retry-After"] == "1"
    assert request_token(client, assertion(lms, tool), [v.SCOPE_SCORE]).status_code == 503
    assert client.get(url, headers=headers).status_code == 200
    assert lms.failures_pending() == 0
    statuses = [call.status for call in lms.recent_calls()]
    assert statuses[:3] == [200, 503, 503]


def test_the_admin_page_sets_the_failure_switch(lms: DevLms, client: FlaskClient) -> None:
    assert client.post("/admin/service-log", data={"count": "3"}).status_code == 302
    assert lms.failures_pending() == 3
    assert "3 pending" in client.get("/admin/service-log").text
    assert client.post("/admin/service-log", data={"count": "-1"}).status_code == 400
    assert lms.failures_pending() == 3
