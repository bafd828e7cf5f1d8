"""`sweetspot serve` as an operator runs it: gunicorn workers, probes, logs and persistent secrets."""

import json

import requests

from tests.conftest import TestDatabases
from tests.e2e.conftest import Launcher, free_port


def test_help_lists_every_command(launcher: Launcher) -> None:
    result = launcher.run("--help")
    assert result.returncode == 0
    for command in ("serve", "demo", "db", "worker", "tenant", "jobs"):
        assert f"  {command} " in result.stdout


def test_served_app_answers_probes_and_both_edges(launcher: Launcher) -> None:
    _, base = launcher.serve()
    assert requests.get(f"{base}/readyz", timeout=5).json()["status"] == "ready"
    assert requests.get(f"{base}/xapi/about", timeout=5).json() == {"version": ["1.0.3", "2.0.0"]}
    assert requests.get(f"{base}/lti/jwks.json", timeout=5).json()["keys"]


def test_restarted_server_keeps_its_generated_keys(launcher: Launcher) -> None:
    first, base = launcher.serve()
    kid_before = requests.get(f"{base}/lti/jwks.json", timeout=5).json()["keys"][0]["kid"]
    assert first.stop() == 0
    _, base = launcher.serve()
    kid_after = requests.get(f"{base}/lti/jwks.json", timeout=5).json()["keys"][0]["kid"]
    assert kid_after == kid_before


def test_server_refuses_to_start_on_a_database_behind_its_migrations(
    launcher: Launcher, databases: TestDatabases
) -> None:
    empty = databases.create()
    result = launcher.run("serve", "--port", str(free_port()), DATABASE_URL=empty)
    assert result.returncode == 1
    assert "refusing to serve" in result.stderr
    assert "run `sweetspot db upgrade`" in result.stderr


def test_each_request_logs_one_json_line_with_its_request_id(launcher: Launcher) -> None:
    server, base = launcher.serve()
    response = requests.get(f"{base}/healthz", timeout=5, headers={"X-Request-ID": "probe-1234567890"})
    assert response.headers["X-Request-ID"] == "probe-1234567890"
    server.stop()
    lines = [json.loads(line) for line in server.output.splitlines() if line.startswith("{")]
    requests_logged = [line for line in lines if line.get("request_id") == "probe-1234567890"]
    assert requests_logged == [
        {
            "event": "request",
            "method": "GET",
            "path": "/healthz",
            "status": 200,
            "duration_ms": requests_logged[0]["duration_ms"],
            "request_id": "probe-1234567890",
            "logger": "sweetspot.request",
            "level": "info",
            "timestamp": requests_logged[0]["timestamp"],
        }
    ]


def test_xapi_edge_runs_alone(launcher: Launcher) -> None:
    _, base = launcher.serve("--edge", "xapi")
    assert requests.get(f"{base}/xapi/about", timeout=5).status_code == 200
    assert requests.get(f"{base}/lti/jwks.json", timeout=5).status_code == 404


def test_lti_edge_runs_alone(launcher: Launcher) -> None:
    _, base = launcher.serve("--edge", "lti")
    assert requests.get(f"{base}/lti/jwks.json", timeout=5).status_code == 200
    assert requests.get(f"{base}/xapi/about", timeout=5).status_code == 404


def test_db_commands_report_and_move_the_schema(launcher: Launcher, databases: TestDatabases) -> None:
    empty = databases.create()
    behind = launcher.run("db", "current", DATABASE_URL=empty)
    assert behind.returncode == 1
    assert "run `sweetspot db upgrade`" in behind.stdout
    upgraded = launcher.run("db", "upgrade", DATABASE_URL=empty)
    assert upgraded.returncode == 0, upgraded.stderr
    assert launcher.run("db", "current", DATABASE_URL=empty).returncode == 0
    assert launcher.run("db", "downgrade", "base", DATABASE_URL=empty).returncode == 0
    assert launcher.run("db", "current", DATABASE_URL=empty).returncode == 1
