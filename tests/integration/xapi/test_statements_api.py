"""The Statement API through HTTP on the real database: store, read back, query, void, refuse bad input."""

import json
import uuid

import pytest
from flask.testing import FlaskClient
from sqlalchemy import text

from sweetspot.runtime import Runtime
from tests.conftest import TestDatabases
from tests.integration.conftest import World
from tests.integration.xapi.conftest import Lrs, make_credential, statement, with_id
from xapi_listener.credentials import revoke_credential

VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def count(lrs: Lrs) -> int:
    return len(lrs.get(limit="0").get_json()["statements"])


def test_posted_statement_is_stored_with_what_the_lrs_sets(lrs: Lrs) -> None:
    sent = statement(timestamp="2026-11-20T10:00:00Z")
    response = lrs.post(sent)
    assert response.status_code == 200
    (statement_id,) = response.get_json()
    uuid.UUID(statement_id)
    stored = lrs.get(statementId=statement_id).get_json()
    assert {k: stored[k] for k in sent} == sent
    assert stored["id"] == statement_id
    assert stored["version"] == "1.0.0"
    assert stored["stored"].endswith("Z")
    assert stored["authority"]["objectType"] == "Agent"


def test_a_batch_is_stored_whole_and_answers_ids_in_order(lrs: Lrs) -> None:
    first, second = with_id(statement()), with_id(statement(email="ben@acme.test"))
    response = lrs.post([first, second])
    assert response.get_json() == [first["id"], second["id"]]
    assert count(lrs) == 2


def test_a_batch_with_one_bad_statement_stores_none(lrs: Lrs) -> None:
    bad = statement()
    del bad["verb"]
    response = lrs.post([statement(), bad])
    assert response.status_code == 400
    assert response.get_json()["message"].startswith("[1].")
    assert count(lrs) == 0


def test_put_with_statement_id_is_idempotent_and_conflicts_on_other_content(lrs: Lrs) -> None:
    statement_id = str(uuid.uuid4())
    assert lrs.put(statement_id, statement()).status_code == 204
    assert lrs.put(statement_id, statement()).status_code == 204
    conflict = lrs.put(statement_id, statement(email="someone@else.test"))
    assert conflict.status_code == 409
    assert statement_id in conflict.get_json()["message"]
    assert count(lrs) == 1


def test_post_of_a_known_id_with_other_content_conflicts(lrs: Lrs) -> None:
    sent = with_id(statement())
    lrs.post(sent)
    assert lrs.post(sent).status_code == 200
    assert lrs.post({**sent, "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"}}).status_code == 409


def test_a_batch_mixing_known_and_new_statements_stores_and_indexes_only_the_new(lrs: Lrs) -> None:
    known = with_id(statement())
    lrs.post(known)
    new = with_id(statement(email="ben@acme.test", activity="https://lms.acme.test/course/rust"))
    response = lrs.post([known, new])
    assert response.get_json() == [known["id"], new["id"]]
    assert count(lrs) == 2
    by_agent = lrs.get(agent=json.dumps({"mbox": "mailto:ben@acme.test"})).get_json()["statements"]
    assert [s["id"] for s in by_agent] == [new["id"]]
    by_activity = lrs.get(activity="https://lms.acme.test/course/python").get_json()["statements"]
    assert [s["id"] for s in by_activity] == [known["id"]]


def test_a_batch_with_a_conflicting_id_stores_none_of_its_statements(lrs: Lrs) -> None:
    known = with_id(statement())
    lrs.post(known)
    changed = {**known, "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"}}
    response = lrs.post([statement(email="ben@acme.test"), changed])
    assert response.status_code == 409
    assert count(lrs) == 1


def test_voiding_hides_the_target_except_by_voided_statement_id(lrs: Lrs) -> None:
    (target,) = lrs.post(statement()).get_json()
    voiding = statement(verb=VOIDED, object={"objectType": "StatementRef", "id": target})
    assert lrs.post(voiding).status_code == 200
    assert lrs.get(statementId=target).status_code == 404
    assert lrs.get(voidedStatementId=target).get_json()["id"] == target
    assert [s["verb"]["id"] for s in lrs.get().get_json()["statements"]] == [VOIDED]


def test_queries_filter_and_page_with_more(lrs: Lrs) -> None:
    for n in range(5):
        lrs.post(statement(activity=f"https://lms.acme.test/course/{n % 2}"))
    lrs.post(statement(email="ben@acme.test", verb="http://adlnet.gov/expapi/verbs/completed"))
    agent = json.dumps({"mbox": "mailto:ben@acme.test"})
    assert len(lrs.get(agent=agent).get_json()["statements"]) == 1
    assert len(lrs.get(verb="http://adlnet.gov/expapi/verbs/completed").get_json()["statements"]) == 1
    assert len(lrs.get(activity="https://lms.acme.test/course/0").get_json()["statements"]) == 3
    first = lrs.get(limit="4").get_json()
    assert len(first["statements"]) == 4 and first["more"]
    rest = lrs.client.get(first["more"], headers=lrs.headers()).get_json()
    assert len(rest["statements"]) == 2 and rest["more"] == ""
    ids = [s["id"] for s in first["statements"] + rest["statements"]]
    ascending = [s["id"] for s in lrs.get(ascending="true").get_json()["statements"]]
    assert ascending == list(reversed(ids))


def test_single_context_activities_come_back_as_arrays_and_timestamp_defaults_to_stored(lrs: Lrs) -> None:
    sent = statement(context={"contextActivities": {"parent": {"id": "https://lms.acme.test/course"}}})
    (statement_id,) = lrs.post(sent).get_json()
    stored = lrs.get(statementId=statement_id).get_json()
    assert stored["context"]["contextActivities"]["parent"] == [{"id": "https://lms.acme.test/course"}]
    assert stored["timestamp"] == stored["stored"]
    assert lrs.post({**sent, "id": statement_id}).status_code == 200  # the same statement again


def test_filters_also_return_statements_about_matching_ones(lrs: Lrs) -> None:
    completed = "http://adlnet.gov/expapi/verbs/completed"
    (target,) = lrs.post(statement(verb=completed)).get_json()
    (voiding,) = lrs.post(statement(verb=VOIDED, object={"objectType": "StatementRef", "id": target})).get_json()
    assert [s["id"] for s in lrs.get(verb=completed).get_json()["statements"]] == [voiding]


def test_agent_and_activity_filters_with_related_ones_and_statements_about_matches_page_in_order(lrs: Lrs) -> None:
    # xAPI 1.0.3 Part Three §2.1.3: `related_agents` and `related_activities` widen the filters, and a filter
    # also returns the statements whose StatementRef points at a match; `more` pages through all of it.
    ana = {"objectType": "Agent", "mbox": "mailto:ana@acme.test"}
    data = "https://lms.acme.test/course/data"
    attempted = "http://adlnet.gov/expapi/verbs/attempted"
    (s1,) = lrs.post(statement(context={"contextActivities": {"parent": [{"id": data}]}})).get_json()
    (s2,) = lrs.post(
        statement(email="ben@acme.test", activity="https://lms.acme.test/course/rust", context={"instructor": ana})
    ).get_json()
    (s3,) = lrs.post(
        statement(email="chloe@acme.test", verb=attempted, object={"objectType": "StatementRef", "id": s1})
    ).get_json()
    (s4,) = lrs.post(statement(verb=attempted, object={"objectType": "StatementRef", "id": s2})).get_json()
    (s5,) = lrs.post(statement(email="dev@acme.test", activity=data)).get_json()

    def ids(**params: str) -> list[str]:
        found = lrs.get(**params).get_json()
        result = [s["id"] for s in found["statements"]]
        while found["more"]:
            found = lrs.client.get(found["more"], headers=lrs.headers()).get_json()
            result += [s["id"] for s in found["statements"]]
        return result

    agent = json.dumps(ana)
    assert ids(agent=agent) == [s4, s3, s1]
    assert ids(agent=agent, related_agents="true") == [s4, s3, s2, s1]
    assert ids(agent=agent, related_agents="true", limit="1") == [s4, s3, s2, s1]
    assert ids(agent=agent, related_agents="true", limit="2", ascending="true") == [s1, s2, s3, s4]
    assert ids(activity=data) == [s5]
    assert ids(activity=data, related_activities="true") == [s5, s3, s1]
    assert ids(activity=data, related_activities="true", agent=agent) == [s3, s1]
    assert ids(agent=json.dumps({"mbox": "mailto:chloe@acme.test"})) == [s3]


def test_errors_on_get_still_say_how_fresh_the_store_is(lrs: Lrs) -> None:
    missing = lrs.get(statementId=str(uuid.uuid4()))
    assert missing.status_code == 404
    assert missing.headers["X-Experience-API-Consistent-Through"].endswith("Z")
    (statement_id,) = lrs.post(statement()).get_json()
    assert lrs.get(statementId=statement_id).headers["Last-Modified"]


def test_xapi_2_refuses_a_batch_that_repeats_an_id(lrs: Lrs) -> None:
    lrs.version = "2.0.0"
    same = with_id(statement())
    assert lrs.post([same, same]).status_code == 400


def test_since_and_until_select_by_stored_time(lrs: Lrs) -> None:
    (early,) = lrs.post(statement()).get_json()
    stored = lrs.get(statementId=early).get_json()["stored"]
    lrs.post(statement(email="ben@acme.test"))
    after = lrs.get(since=stored).get_json()["statements"]
    before = lrs.get(until=stored).get_json()["statements"]
    assert [s["actor"]["mbox"] for s in after] == ["mailto:ben@acme.test"]
    assert [s["id"] for s in before] == [early]


def test_responses_carry_version_and_consistent_through(lrs: Lrs) -> None:
    response = lrs.get()
    assert response.headers["X-Experience-API-Version"] == "1.0.3"
    assert response.headers["X-Experience-API-Consistent-Through"].endswith("Z")
    lrs.version = "2.0.0"
    assert lrs.get().headers["X-Experience-API-Version"] == "2.0.0"


def test_missing_or_unknown_version_header_is_refused(lrs: Lrs) -> None:
    no_header = lrs.client.get("/xapi/statements", headers={"Authorization": lrs.authorization})
    assert no_header.status_code == 400
    assert "X-Experience-API-Version" in no_header.get_json()["message"]
    lrs.version = "0.95"
    assert lrs.get().status_code == 400


@pytest.mark.parametrize("method", ["GET", "POST", "PUT"])
def test_a_request_naming_no_version_is_answered_in_the_version_its_credential_speaks(
    client: FlaskClient, runtime: Runtime, world: World, method: str
) -> None:
    # The 1.0.3 and 2.0 conformance suites each expect their own version on this refusal.
    url = "/xapi/statements" + (f"?statementId={uuid.uuid4()}" if method == "PUT" else "")
    body = statement() if method != "GET" else None
    for speaks in ("1.0.3", "2.0.0"):
        authorization = make_credential(runtime, world.tenant.id, xapi_version=speaks)
        refused = client.open(url, method=method, json=body, headers={"Authorization": authorization})
        assert refused.status_code == 400 and "X-Experience-API-Version" in refused.get_json()["message"]
        assert refused.headers["X-Experience-API-Version"] == speaks
    stranger = client.open(url, method=method, json=body, headers={"Authorization": "Basic c3NrX25vOm5v"})
    assert stranger.status_code == 400 and stranger.headers["X-Experience-API-Version"] == "1.0.3"
    assert Lrs(client, make_credential(runtime, world.tenant.id)).get().get_json()["statements"] == []


def test_credentials_are_required_and_checked(lrs: Lrs, runtime: Runtime, world: World) -> None:
    anonymous = lrs.client.get("/xapi/statements", headers={"X-Experience-API-Version": "1.0.3"})
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Basic")
    wrong = Lrs(lrs.client, make_credential(runtime, world.tenant.id)[:-4] + "AAAA")
    assert wrong.get().status_code == 401


def test_a_revoked_credential_stops_working(client: FlaskClient, runtime: Runtime, world: World) -> None:
    lrs = Lrs(client, make_credential(runtime, world.tenant.id))
    assert lrs.get().status_code == 200
    key = __import__("base64").b64decode(lrs.authorization.split()[1]).decode().split(":")[0]
    with runtime.unit_of_work() as uow:
        revoke_credential(uow, key)
        uow.commit()
    assert lrs.get().status_code == 401


def test_read_only_credential_cannot_write(client: FlaskClient, runtime: Runtime, world: World) -> None:
    reader = Lrs(client, make_credential(runtime, world.tenant.id, read_only=True))
    assert reader.get().status_code == 200
    response = reader.post(statement())
    assert response.status_code == 403
    assert "read-only" in response.get_json()["message"]


def test_another_tenants_statements_are_invisible(lrs: Lrs, runtime: Runtime, world: World) -> None:
    (statement_id,) = lrs.post(statement()).get_json()
    other = Lrs(lrs.client, make_credential(runtime, world.other_tenant.id))
    assert other.get(statementId=statement_id).status_code == 404
    assert other.get().get_json()["statements"] == []
    # and the same id may be used independently by the other tenant
    assert other.put(statement_id, statement(email="x@globex.test")).status_code == 204


def test_malformed_bodies_are_refused_clearly(lrs: Lrs) -> None:
    headers = lrs.headers(**{"Content-Type": "application/json"})
    broken = lrs.client.post("/xapi/statements", data="{not json", headers=headers)
    assert broken.status_code == 400 and "not valid JSON" in broken.get_json()["message"]
    text = lrs.client.post("/xapi/statements", data="{}", headers=lrs.headers(**{"Content-Type": "text/plain"}))
    assert text.status_code == 400
    assert "application/json or multipart/mixed" in text.get_json()["message"]
    nan = lrs.client.post("/xapi/statements", data='{"result": NaN}', headers=headers)
    assert nan.status_code == 400
    assert lrs.post([]).status_code == 400
    assert count(lrs) == 0


def test_a_huge_body_is_refused_before_it_is_read(lrs: Lrs) -> None:
    huge = "x" * (9 * 1024 * 1024)
    response = lrs.client.post(
        "/xapi/statements", data=huge, headers=lrs.headers(**{"Content-Type": "application/json"})
    )
    assert response.status_code == 413


def test_unknown_query_parameters_are_refused(lrs: Lrs) -> None:
    response = lrs.get(actor="ana")
    assert response.status_code == 400
    assert "actor" in response.get_json()["message"]
    assert lrs.get(statementId=str(uuid.uuid4()), verb="x").status_code == 400


def test_ids_format_reduces_activities_and_agents(lrs: Lrs) -> None:
    (statement_id,) = lrs.post(statement()).get_json()
    reduced = lrs.get(statementId=statement_id, format="ids").get_json()
    assert reduced["object"] == {"id": "https://lms.acme.test/course/python"}
    assert reduced["verb"] == {"id": "http://adlnet.gov/expapi/verbs/experienced"}
    assert reduced["actor"] == {"objectType": "Agent", "mbox": "mailto:ana@acme.test"}


def test_a_credential_revoked_after_writing_writes_nothing_more(
    client: FlaskClient, runtime: Runtime, world: World
) -> None:
    lrs = Lrs(client, make_credential(runtime, world.tenant.id))
    assert lrs.post(statement()).status_code == 200  # the process now knows this credential
    key = __import__("base64").b64decode(lrs.authorization.split()[1]).decode().split(":")[0]
    with runtime.unit_of_work() as uow:
        revoke_credential(uow, key)
        uow.commit()
    refused = lrs.post([statement(email="ben@acme.test"), statement(email="chloe@acme.test")])
    assert refused.status_code == 401
    assert lrs.put(str(uuid.uuid4()), statement(email="dev@acme.test")).status_code == 401
    reader = Lrs(client, make_credential(runtime, world.tenant.id))
    assert count(reader) == 1


def test_deleting_a_tenant_deletes_its_statements(lrs: Lrs, runtime: Runtime, world: World) -> None:
    lrs.post([statement(), statement(email="ben@acme.test", activity="https://lms.acme.test/course/rust")])
    other = Lrs(lrs.client, make_credential(runtime, world.other_tenant.id))
    other.post(statement(email="x@globex.test"))
    with runtime.unit_of_work() as uow:
        uow.session.execute(text("DELETE FROM tenants WHERE id = :id"), {"id": world.tenant.id})
        uow.commit()
    with runtime.unit_of_work(read_only=True) as uow:
        tenants = uow.session.execute(text("SELECT DISTINCT tenant_id FROM xapi_statements")).scalars().all()
    assert tenants == [world.other_tenant.id]
    assert len(other.get().get_json()["statements"]) == 1


def test_statements_are_stored_when_the_database_dropped_the_connection(
    lrs: Lrs, runtime: Runtime, databases: TestDatabases
) -> None:
    if databases.backend != "postgresql" or runtime.autocommit_engine is None:
        pytest.skip("the one-statement write path is PostgreSQL's")
    assert lrs.post(statement()).status_code == 200  # a pooled connection now waits for the next request
    with runtime.engine.connect() as admin:
        admin.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
    sent = with_id(statement(email="ben@acme.test"))
    assert lrs.post(sent).get_json() == [sent["id"]]
    assert lrs.get(statementId=sent["id"]).status_code == 200
