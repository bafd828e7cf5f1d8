"""On PostgreSQL, plain new statements from a credential used a moment ago are stored by a WSGI layer in front of
Flask (xapi_listener/direct.py); every other request, and every request it is unsure of, is answered by the
Flask app exactly as before. What a client sees is the same either way."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sweetspot.runtime import Runtime
from tests.conftest import TestDatabases
from tests.integration.conftest import World
from tests.integration.xapi.conftest import Lrs, make_credential, statement, with_id
from xapi_listener.credentials import revoke_credential
from xapi_listener.direct import DirectStatementWrites


@pytest.fixture
def handed(app: Flask, runtime: Runtime, databases: TestDatabases) -> Iterator[list[str]]:
    """The requests the direct layer handed to the Flask app, as "METHOD path"."""
    if databases.backend != "postgresql" or runtime.autocommit_engine is None:
        pytest.skip("the direct write path is PostgreSQL's (it stores with the one autocommitted INSERT)")
    direct = app.wsgi_app
    assert isinstance(direct, DirectStatementWrites)
    seen: list[str] = []
    flask_app = direct.app

    def counting(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        seen.append(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}")
        return flask_app(environ, start_response)

    direct.app = counting
    yield seen
    direct.app = flask_app


def test_a_plain_new_statement_is_stored_directly_once_the_credential_is_known(lrs: Lrs, handed: list[str]) -> None:
    first = lrs.post(statement())
    assert handed == ["POST /xapi/statements"], "the first request authenticates the credential through the app"
    second = lrs.post(statement(email="ben@acme.test"))
    batch = lrs.post([statement(email="cy@acme.test"), with_id(statement(email="di@acme.test"))])
    assert handed == ["POST /xapi/statements"], "the next ones are stored without the app"
    assert first.status_code == second.status_code == batch.status_code == 200
    assert len(batch.get_json()) == 2
    names = {"Content-Type", "X-Experience-API-Version", "X-Request-ID", "X-Content-Type-Options", "Referrer-Policy"}
    for response in (first, second):
        assert names <= set(response.headers.keys())
        assert response.headers["X-Experience-API-Version"] == "1.0.3"
    by_app = lrs.get(statementId=first.get_json()[0]).get_json()
    directly = lrs.get(statementId=second.get_json()[0]).get_json()
    for field in ("authority", "version", "verb", "object"):
        assert by_app[field] == directly[field], field
    assert directly["stored"] == directly["timestamp"], "the LRS times a statement sent without a timestamp"


def test_whatever_the_direct_layer_is_unsure_of_is_answered_by_the_app(
    lrs: Lrs, handed: list[str], runtime: Runtime, world: World
) -> None:
    sent = with_id(statement())
    assert lrs.post(sent).status_code == 200  # the credential is now known
    handed.clear()
    invalid = lrs.post(statement(verb="not an IRI"))
    assert invalid.status_code == 400 and "verb.id" in invalid.get_json()["message"]
    assert lrs.post(sent).get_json() == [sent["id"]], "the same statement again is accepted"
    conflicting = lrs.post({**sent, "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"}})
    assert conflicting.status_code == 409
    half_bad = lrs.post([statement(email="ben@acme.test"), {"actor": {}}])
    assert half_bad.status_code == 400 and half_bad.get_json()["message"].startswith("[1].")
    lrs.version = "2.0.0"
    twice = lrs.post([sent, sent])
    assert twice.status_code == 400 and "more than once" in twice.get_json()["message"]
    unsigned = statement(attachments=[{"usageType": "http://id.tincanapi.com/attachment/certificate",
                                       "display": {"en": "Certificate"}, "contentType": "application/pdf",
                                       "length": 3, "sha2": "a" * 64}])  # fmt: skip
    assert lrs.post(unsigned).status_code == 400, "an attachment without its part or a fileUrl"
    assert len(handed) == 6, handed
    stored = lrs.get().get_json()["statements"]
    assert [s["id"] for s in stored] == [sent["id"]], "nothing the app refused was stored"


def test_a_credential_revoked_after_it_was_cached_stores_nothing(
    client: FlaskClient, handed: list[str], runtime: Runtime, world: World
) -> None:
    lrs = Lrs(client, make_credential(runtime, world.tenant.id))
    assert lrs.post(statement()).status_code == 200
    key = lrs.credential_key
    with runtime.unit_of_work() as uow:
        revoke_credential(uow, key)
        uow.commit()
    refused = lrs.post(with_id(statement(email="ben@acme.test")))
    assert refused.status_code == 401
    reader = Lrs(client, make_credential(runtime, world.tenant.id))
    assert len(reader.get().get_json()["statements"]) == 1


def test_requests_the_layer_does_not_serve_go_to_the_app_untouched(
    client: FlaskClient, lrs: Lrs, handed: list[str], runtime: Runtime, world: World
) -> None:
    lrs.post(statement())
    handed.clear()
    statement_id = str(uuid.uuid4())
    assert lrs.put(statement_id, statement(email="ben@acme.test")).status_code == 204
    assert lrs.get(statementId=statement_id).status_code == 200
    no_version = client.post("/xapi/statements", json=statement(), headers={"Authorization": lrs.authorization})
    assert no_version.status_code == 400
    read_only = Lrs(client, make_credential(runtime, world.tenant.id, read_only=True))
    read_only.get()  # known to the cache now
    assert read_only.post(statement()).status_code == 403
    assert handed == [
        "PUT /xapi/statements",
        "GET /xapi/statements",
        "POST /xapi/statements",
        "GET /xapi/statements",
        "POST /xapi/statements",
    ]
