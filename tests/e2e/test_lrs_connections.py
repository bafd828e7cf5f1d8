"""Upstream LRSs over real HTTP: a second Sweetspot server pulled by the periodic job, and forwarding."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from tincan import RemoteLRS

from tests.conftest import TestDatabases
from tests.e2e.conftest import Launcher
from tests.e2e.test_xapi import tincan_statement


def issue(launcher: Launcher, tenant: str, *flags: str) -> tuple[str, str]:
    created = launcher.run("xapi", "credentials", "create", "--tenant", tenant, "--json", *flags)
    assert created.returncode == 0, created.stderr
    keys = json.loads(created.stdout)
    return keys["key"], keys["secret"]


@pytest.fixture
def upstream(tmp_path: Path, databases: TestDatabases) -> Iterator[Launcher]:
    """Another Sweetspot installation: its own data directory and its own database."""
    logs = tmp_path / "upstream-logs"
    logs.mkdir()
    other = Launcher(tmp_path / "upstream", databases.create(), logs)
    migrated = other.run("db", "upgrade")
    assert migrated.returncode == 0, migrated.stderr
    yield other
    other.stop_all()


def connections(launcher: Launcher) -> dict[str, dict[str, Any]]:
    listed = launcher.run("xapi", "connections", "list", "--tenant", "globex", "--json")
    assert listed.returncode == 0, listed.stderr
    return {c["key"]: c for c in json.loads(listed.stdout)}


def wait_for(launcher: Launcher, done: Any, timeout: float = 150.0) -> dict[str, dict[str, Any]]:
    """Poll `connections list` until `done(connections)` holds; the scheduler ticks once a minute."""
    deadline = time.monotonic() + timeout
    while True:
        found = connections(launcher)
        if done(found):
            return found
        if time.monotonic() > deadline:
            pytest.fail(f"the periodic job did not pull within {timeout:g} s: {found}")
        time.sleep(2)


def test_periodic_job_pulls_each_connection_on_its_own_and_records_failures(
    launcher: Launcher, upstream: Launcher
) -> None:
    assert upstream.run("tenant", "create", "acme", "--name", "Acme").returncode == 0
    writer = issue(upstream, "acme")
    reader = issue(upstream, "acme", "--read-only")
    _, upstream_base = upstream.serve()
    source = RemoteLRS(endpoint=f"{upstream_base}/xapi/", username=writer[0], password=writer[1], version="1.0.3")
    assert source.save_statements(
        [tincan_statement("ana@acme.test", f"https://lms.acme.test/{n}") for n in range(3)]
    ).success

    assert launcher.run("tenant", "create", "globex", "--name", "Globex").returncode == 0
    for key, secret in [reader, ("ssk_nobody", "wrong")]:
        added = launcher.run(
            "xapi", "connections", "add", "--tenant", "globex", "--from", f"{upstream_base}/xapi",
            "--key", key, "--secret", secret, "--every", "1", "--label", "Acme's LRS",
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        assert secret not in added.stdout
    _, base = launcher.serve()  # its embedded job consumer runs the scheduler: nobody pulls by hand from here on

    found = wait_for(launcher, lambda c: c[reader[0]]["statements_pulled"] >= 3 and c["ssk_nobody"]["failures"] >= 1)
    assert found[reader[0]]["statements_pulled"] == 3 and found[reader[0]]["last_error"] is None
    assert "answered 401" in found["ssk_nobody"]["last_error"] and found["ssk_nobody"]["last_error_at"]

    assert source.save_statement(tincan_statement("ben@acme.test", "https://lms.acme.test/9")).success
    wait_for(launcher, lambda c: c[reader[0]]["statements_pulled"] >= 4)

    mine = issue(launcher, "globex", "--read-only")
    pulled = requests.get(
        f"{base}/xapi/statements",
        params={"limit": "100"},
        auth=mine,
        headers={"X-Experience-API-Version": "1.0.3"},
        timeout=10,
    ).json()["statements"]
    assert len(pulled) == 4 and len({s["id"] for s in pulled}) == 4
    assert connections(launcher)[reader[0]]["statements_pulled"] == 4


def test_forwarded_statements_are_stored_once_over_http(launcher: Launcher) -> None:
    assert launcher.run("tenant", "create", "acme", "--name", "Acme").returncode == 0
    keys = issue(launcher, "acme")
    _, base = launcher.serve()
    statement: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "mbox": "mailto:ana@acme.test"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
        "object": {"objectType": "Activity", "id": "https://lms.acme.test/a"},
        "timestamp": "2026-03-01T08:29:58.000Z",
        "stored": "2026-03-01T08:30:00.000Z",
        "authority": {"objectType": "Agent", "mbox": "mailto:forwarder@ll.acme.test"},
        "version": "1.0.0",
    }
    # As Learning Locker sends it: one statement, no version header, retried when an answer is lost.
    for _ in range(2):
        answer = requests.post(f"{base}/xapi/forwarded", json=statement, auth=keys, timeout=10)
        assert answer.status_code == 200, answer.text
        assert answer.json() == [statement["id"]]
    # As Ralph sends a PUT: no statementId parameter.
    again = {**statement, "id": str(uuid.uuid4())}
    assert requests.put(f"{base}/xapi/forwarded", json=again, auth=keys, timeout=10).status_code == 200
    assert requests.post(f"{base}/xapi/forwarded", json=statement, auth=("k", "s"), timeout=10).status_code == 401

    lrs = RemoteLRS(endpoint=f"{base}/xapi/", username=keys[0], password=keys[1], version="1.0.3")
    found = lrs.query_statements({"limit": 10})
    assert found.success
    assert sorted(str(s.id) for s in found.content.statements) == sorted([statement["id"], again["id"]])
