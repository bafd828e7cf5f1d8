"""The composed app over HTTP: probes, errors, request ids and the routes of both edges."""

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from sweetspot import database
from sweetspot.app import create_app
from sweetspot.runtime import Runtime, bootstrap
from tests.conftest import TestDatabases, make_settings


def test_healthz_says_alive(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "alive"}


def test_readyz_reports_the_current_schema(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json is not None
    assert response.json["status"] == "ready"


def test_readyz_fails_when_the_database_falls_behind(databases: TestDatabases, session_data_dir: Path) -> None:
    runtime = bootstrap(make_settings(session_data_dir, databases.create()))
    database.upgrade(runtime.engine)
    client = create_app(runtime).test_client()
    database.downgrade(runtime.engine, "base")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json is not None
    assert "run `sweetspot db upgrade`" in response.json["reason"]
    runtime.close()


def test_app_refuses_to_start_on_a_database_behind_its_migrations(
    databases: TestDatabases, session_data_dir: Path
) -> None:
    runtime = bootstrap(make_settings(session_data_dir, databases.create()))
    with pytest.raises(database.SchemaNotCurrent, match="run `sweetspot db upgrade`"):
        create_app(runtime)
    runtime.close()


def test_unknown_api_route_gets_a_json_error(client: FlaskClient) -> None:
    response = client.get("/xapi/no-such-resource")
    assert response.status_code == 404
    assert response.json is not None
    assert response.json["error"] == "Not Found"
    assert response.json["request_id"] == response.headers["X-Request-ID"]


def test_unknown_page_gets_an_html_error_page(client: FlaskClient) -> None:
    response = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert response.content_type.startswith("text/html")
    assert b"<h1>Not Found</h1>" in response.data


def test_wrong_method_answers_405_with_allow(client: FlaskClient) -> None:
    response = client.post("/xapi/about")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert response.is_json


def test_unexpected_failure_shows_no_stack_trace(app: Flask) -> None:
    def explode() -> str:
        raise RuntimeError("secret internals: password=hunter2")

    app.add_url_rule("/explode", view_func=explode)
    app.add_url_rule("/xapi/explode", endpoint="xapi_explode", view_func=explode)
    client = app.test_client()
    page = client.get("/explode", headers={"Accept": "text/html"})
    api = client.get("/xapi/explode")
    for response in (page, api):
        assert response.status_code == 500
        assert b"hunter2" not in response.data
        assert b"Traceback" not in response.data
        assert response.headers["X-Request-ID"].encode() in response.data


def test_request_id_is_reused_from_the_load_balancer_when_plain(client: FlaskClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "lb-0123456789abcdef"})
    assert response.headers["X-Request-ID"] == "lb-0123456789abcdef"


def test_request_id_with_odd_characters_is_replaced(client: FlaskClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "evil value<script>"})
    assert response.headers["X-Request-ID"] != "evil value<script>"
    assert len(response.headers["X-Request-ID"]) == 32


def test_security_headers_are_on_every_response(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_home_page_says_what_is_not_built_yet(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert b"Not built yet" in response.data


def test_jwks_publishes_the_generated_signing_key(client: FlaskClient, runtime: Runtime) -> None:
    response = client.get("/lti/jwks.json")
    assert response.status_code == 200
    assert response.json is not None
    key = next(k for k in response.json["keys"] if k["kid"] == runtime.keys.signing.kid)
    assert key["alg"] == "RS256"
    assert "d" not in key


@pytest.mark.parametrize(("asked", "answered"), [("1.0.3", "1.0.3"), ("2.0.0", "2.0.0"), (None, "1.0.3")])
def test_xapi_about_lists_both_versions(client: FlaskClient, asked: str | None, answered: str) -> None:
    headers = {"X-Experience-API-Version": asked} if asked else {}
    response = client.get("/xapi/about", headers=headers)
    assert response.status_code == 200
    assert response.json == {"version": ["1.0.3", "2.0.0"]}
    assert response.headers["X-Experience-API-Version"] == answered


def test_xapi_edge_alone_serves_no_pages(runtime: Runtime) -> None:
    client = create_app(runtime, edges=("xapi",)).test_client()
    assert client.get("/xapi/about").status_code == 200
    assert client.get("/").status_code == 404
    assert client.get("/lti/jwks.json").status_code == 404


def test_lti_edge_alone_serves_no_xapi(runtime: Runtime) -> None:
    client = create_app(runtime, edges=("lti",)).test_client()
    assert client.get("/lti/jwks.json").status_code == 200
    assert client.get("/xapi/about").status_code == 404
