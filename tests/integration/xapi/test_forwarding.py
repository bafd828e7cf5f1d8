"""/xapi/forwarded takes statements as Learning Locker's and Ralph's statement forwarding send them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from sweetspot.runtime import Runtime
from tests.integration.conftest import World
from tests.integration.xapi.conftest import Lrs, make_credential, statement
from tests.integration.xapi.test_attachments import declared, multipart
from xapi_listener.store import StatementRecord

UPSTREAM_STORED = "2026-03-01T08:30:00.123Z"


def as_stored_upstream(**extra: Any) -> dict[str, Any]:
    """A statement as another LRS stored it: with its id, stored, authority and version."""
    return {
        "id": str(uuid.uuid4()),
        **statement(),
        "timestamp": "2026-03-01T08:29:58.000Z",
        "stored": UPSTREAM_STORED,
        "authority": {"objectType": "Agent", "name": "Moodle", "mbox": "mailto:moodle@ll.acme.test"},
        "version": "1.0.0",
        **extra,
    }


def forward(client: FlaskClient, authorization: str, body: Any, method: str = "POST", **headers: str) -> Any:
    return client.open(
        "/xapi/forwarded",
        method=method,
        json=body,
        headers={"Authorization": authorization, **headers},
    )


def stored_rows(runtime: Runtime, world: World) -> list[StatementRecord]:
    with runtime.unit_of_work(read_only=True) as uow:
        rows = list(uow.session.scalars(select(StatementRecord).where(StatementRecord.tenant_id == world.tenant.id)))
        for row in rows:
            uow.session.expunge(row)
    return rows


def test_learning_locker_forward_is_stored_once_however_often_it_is_retried(
    lrs: Lrs, client: FlaskClient, runtime: Runtime, world: World
) -> None:
    sent = as_stored_upstream()
    for _ in range(3):  # the first answer was lost, so the forwarder retried
        answer = forward(client, lrs.authorization, sent)
        assert answer.status_code == 200, answer.get_json()
        assert answer.get_json() == [sent["id"]]
        assert answer.headers["X-Experience-API-Version"] == "1.0.3"

    [row] = stored_rows(runtime, world)
    assert row.upstream_stored == datetime(2026, 3, 1, 8, 30, 0, 123000, tzinfo=UTC)
    assert row.stored > row.upstream_stored
    assert row.document["stored"] != UPSTREAM_STORED  # ours, so `since` finds statements forwarded late
    assert row.document["authority"] == sent["authority"]
    assert row.document["version"] == "1.0.0" and row.document["timestamp"] == sent["timestamp"]
    fetched = lrs.get(statementId=sent["id"]).get_json()
    assert {k: v for k, v in fetched.items() if k != "stored"} == {k: v for k, v in sent.items() if k != "stored"}


def test_learning_locker_full_database_record_is_unwrapped(
    lrs: Lrs, client: FlaskClient, runtime: Runtime, world: World
) -> None:
    inner = as_stored_upstream()
    record = {
        "_id": "5f1e9a0c2c8b4a0012345678",
        "statement": inner,
        "lrs_id": "5f1e9a0c2c8b4a0000000001",
        "organisation": "5f1e9a0c2c8b4a0000000002",
        "stored": UPSTREAM_STORED,
        "hash": "c0ffee",
        "voided": False,
    }
    answer = forward(client, lrs.authorization, record, **{"X-Experience-API-Version": "1.0.0"})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json() == [inner["id"]]
    assert [row.statement_id for row in stored_rows(runtime, world)] == [inner["id"]]


def test_ralph_forwards_a_put_without_statement_id_and_a_post_array(
    lrs: Lrs, client: FlaskClient, runtime: Runtime, world: World
) -> None:
    single = as_stored_upstream()
    del single["authority"]  # Ralph forwards a PUT before adding its authority
    assert forward(client, lrs.authorization, single, method="PUT").status_code == 200
    batch = [as_stored_upstream(), as_stored_upstream()]
    answer = forward(client, lrs.authorization, batch)
    assert answer.status_code == 200 and answer.get_json() == [s["id"] for s in batch]
    ids = {row.statement_id: row for row in stored_rows(runtime, world)}
    assert set(ids) == {single["id"], *(s["id"] for s in batch)}
    # A statement sent without authority gets the forwarding credential's, as any other would.
    assert ids[single["id"]].document["authority"]["account"]["name"]


def test_put_with_a_statement_id_must_name_the_statement_sent(lrs: Lrs, client: FlaskClient) -> None:
    sent = as_stored_upstream()
    other = str(uuid.uuid4())
    answer = client.put(f"/xapi/forwarded?statementId={other}", json=sent, headers={"Authorization": lrs.authorization})
    assert answer.status_code == 400
    assert f"statementId: {other} is not the id" in answer.get_json()["message"]
    ok = client.put(
        f"/xapi/forwarded?statementId={sent['id']}", json=sent, headers={"Authorization": lrs.authorization}
    )
    assert ok.status_code == 200


def test_a_forwarded_statement_needs_its_id_and_is_validated_like_any_other(
    lrs: Lrs, client: FlaskClient, runtime: Runtime, world: World
) -> None:
    without_id = as_stored_upstream()
    del without_id["id"]
    answer = forward(client, lrs.authorization, [as_stored_upstream(), without_id])
    assert answer.status_code == 400
    assert answer.get_json()["message"].startswith("[1].id: a forwarded statement must carry the id")
    broken = as_stored_upstream(verb={"id": "not a URI"})
    answer = forward(client, lrs.authorization, broken)
    assert answer.status_code == 400 and "verb.id" in answer.get_json()["message"]
    bad_stored = as_stored_upstream(stored="yesterday")
    answer = forward(client, lrs.authorization, bad_stored)
    assert answer.status_code == 400 and "stored" in answer.get_json()["message"]
    assert forward(client, lrs.authorization, []).status_code == 400
    assert stored_rows(runtime, world) == []


def test_the_same_id_with_other_content_is_a_conflict(
    lrs: Lrs, client: FlaskClient, runtime: Runtime, world: World
) -> None:
    sent = as_stored_upstream()
    assert forward(client, lrs.authorization, sent).status_code == 200
    changed = {**sent, "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"}}
    answer = forward(client, lrs.authorization, changed)
    assert answer.status_code == 409
    assert f"statement {sent['id']} already exists with different content" in answer.get_json()["message"]
    assert len(stored_rows(runtime, world)) == 1


def test_a_forward_already_pulled_or_posted_is_not_stored_twice(
    lrs: Lrs, client: FlaskClient, runtime: Runtime, world: World
) -> None:
    sent = as_stored_upstream()
    assert lrs.post(sent).status_code == 200
    assert forward(client, lrs.authorization, {**sent, "stored": "2026-03-02T00:00:00Z"}).status_code == 200
    assert len(stored_rows(runtime, world)) == 1


def test_the_version_comes_from_the_header_or_else_the_statement(lrs: Lrs, client: FlaskClient) -> None:
    two = as_stored_upstream(version="2.0.0")
    answer = forward(client, lrs.authorization, two)
    assert answer.status_code == 200 and answer.headers["X-Experience-API-Version"] == "2.0.0"
    strange = forward(client, lrs.authorization, as_stored_upstream(), **{"X-Experience-API-Version": "0.9"})
    assert strange.status_code == 400 and "X-Experience-API-Version" in strange.get_json()["message"]


def test_forwarding_needs_a_live_read_write_credential_of_the_tenant(
    client: FlaskClient, runtime: Runtime, world: World
) -> None:
    sent = as_stored_upstream()
    nobody = client.post("/xapi/forwarded", json=sent)
    assert nobody.status_code == 401 and "WWW-Authenticate" in nobody.headers
    read_only = make_credential(runtime, world.tenant.id, read_only=True)
    assert forward(client, read_only, sent).status_code == 403
    assert stored_rows(runtime, world) == []


def test_learning_locker_forward_with_attachments_keeps_them(lrs: Lrs, client: FlaskClient) -> None:
    certificate = b"Ana completed Python for analysts"
    sent = as_stored_upstream(attachments=[declared(certificate)])
    answer = client.post(
        "/xapi/forwarded",
        data=multipart(sent, [("text/plain", certificate)]),
        headers={"Authorization": lrs.authorization, "Content-Type": "multipart/mixed; boundary=xapi-boundary"},
    )
    assert answer.status_code == 200, answer.get_json()
    fetched = lrs.get(statementId=sent["id"], attachments="true")
    assert fetched.mimetype == "multipart/mixed" and certificate in fetched.data


def test_the_statement_resource_stays_strict_about_what_forwarders_send(lrs: Lrs, client: FlaskClient) -> None:
    sent = as_stored_upstream()
    no_header = client.post("/xapi/statements", json=sent, headers={"Authorization": lrs.authorization})
    assert no_header.status_code == 400 and "X-Experience-API-Version" in no_header.get_json()["message"]
    put_without_id = client.put("/xapi/statements", json=sent, headers=lrs.headers())
    assert put_without_id.status_code == 400 and "statementId" in put_without_id.get_json()["message"]
    wrapped = client.post("/xapi/statements", json={"statement": sent, "lrs_id": "x"}, headers=lrs.headers())
    assert wrapped.status_code == 400
