"""Upstream LRS connections: stored with an encrypted secret, pulled when due by the jobs, one at a time.

The upstream is the real app served over real HTTP in a thread (Acme's statements), pulled by Globex.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select, update
from werkzeug.serving import make_server

from sweetspot.jobs import build_jobs, enqueue_due_pulls, pull_one_connection
from sweetspot.runtime import Runtime
from tests.conftest import Cli
from tests.integration.conftest import World
from tests.integration.xapi.conftest import Lrs, statement, with_id
from xapi_listener.connections import (
    LEASE,
    ConnectionRecord,
    add_connection,
    due_connections,
    list_connections,
    pull_connection,
)
from xapi_listener.credentials import issue_credential
from xapi_listener.settings import XapiSettings
from xapi_listener.store import StatementRecord


@pytest.fixture(autouse=True)
def default_socket_timeout() -> Iterator[None]:
    """Pull jobs set the process's default socket timeout; put it back for the tests that follow."""
    yield
    socket.setdefaulttimeout(None)


@pytest.fixture
def upstream(app: Flask) -> Iterator[str]:
    """The app on a free port of this machine, as an upstream LRS; its xAPI endpoint."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/xapi/"
    server.shutdown()
    thread.join()


@pytest.fixture
def acme_key(runtime: Runtime, world: World) -> tuple[str, str]:
    """A read-only credential of Acme, the upstream tenant: its key and secret."""
    with runtime.unit_of_work() as uow:
        issued = issue_credential(uow, world.tenant.id, True, "pulled by Globex")
        uow.commit()
    return issued.credential.key, issued.secret


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def connect(
    runtime: Runtime, world: World, endpoint: str, key: str, secret: str, now: datetime, every: int = 15
) -> int:
    with runtime.unit_of_work() as uow:
        added = add_connection(uow, runtime.connection_cipher, world.other_tenant.id, endpoint, key, secret, now, every)
        uow.commit()
    return added.id


def globex_statements(runtime: Runtime, world: World) -> int:
    with runtime.unit_of_work(read_only=True) as uow:
        count: int = uow.session.scalar(select(func.count()).where(StatementRecord.tenant_id == world.other_tenant.id))
    return count


def record(runtime: Runtime, connection_id: int) -> ConnectionRecord:
    with runtime.unit_of_work(read_only=True) as uow:
        found = uow.session.get(ConnectionRecord, connection_id)
        assert found is not None
        uow.session.expunge(found)  # keep its values readable after the unit of work ends
        return found


def test_add_stores_the_secret_encrypted_and_never_prints_it(cli: Cli, runtime: Runtime, world: World) -> None:
    secret = "upstream-secret-" + uuid.uuid4().hex
    added = cli(
        "xapi", "connections", "add", "--tenant", "globex", "--from", "https://lrs.example.com/data/xAPI",
        "--key", "ll-key", "--secret", secret, "--every", "5", "--label", "Learning Locker", "--json",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    shown = json.loads(added.output)
    assert shown["endpoint"] == "https://lrs.example.com/data/xAPI/"
    assert shown["every_minutes"] == 5 and shown["label"] == "Learning Locker"
    assert secret not in added.output
    listed = cli("xapi", "connections", "list", "--tenant", "globex")
    assert "https://lrs.example.com/data/xAPI/" in listed.output and secret not in listed.output
    assert secret not in cli("xapi", "connections", "list", "--tenant", "globex", "--json").output
    stored = record(runtime, shown["id"])
    assert secret not in stored.encrypted_secret
    assert runtime.connection_cipher.decrypt(stored.encrypted_secret.encode()).decode() == secret


def test_add_refuses_a_duplicate_and_bad_input_and_changes_nothing(cli: Cli, runtime: Runtime, world: World) -> None:
    base = ["xapi", "connections", "add", "--tenant", "globex", "--key", "k", "--secret", "s"]
    assert cli(*base, "--from", "https://lrs.example.com/xapi/").exit_code == 0
    duplicate = cli(*base, "--from", "https://lrs.example.com/xapi")
    assert duplicate.exit_code == 1
    assert "already pulls https://lrs.example.com/xapi/ with key k" in duplicate.output
    for url, message in [
        ("lrs.example.com/xapi", "must be an http(s) URL"),
        ("ftp://lrs.example.com/", "must be an http(s) URL"),
        ("https://user:pw@lrs.example.com/xapi/", "must not carry credentials"),
        ("https://lrs.example.com/xapi/?x=1", "without a query"),
        ("https://lrs.example.com:99999/xapi/", "is not a URL"),
    ]:
        refused = cli(*base, "--from", url)
        assert refused.exit_code == 1 and message in refused.output, (url, refused.output)
    too_often = cli(*base, "--from", "https://other.example.com/", "--every", "0")
    assert too_often.exit_code == 1 and "every: must be from 1 to 10080 minutes" in too_often.output
    with runtime.unit_of_work(read_only=True) as uow:
        assert len(list_connections(uow, world.other_tenant.id, datetime.now(UTC))) == 1
    # Another tenant may pull from the same upstream with the same key.
    in_acme = ["xapi", "connections", "add", "--tenant", "acme", "--key", "k", "--secret", "s"]
    assert cli(*in_acme, "--from", "https://lrs.example.com/xapi/").exit_code == 0


def add(cli: Cli, tenant: str, endpoint: str, key: str, secret: str) -> str:
    added = cli(
        "xapi", "connections", "add", "--tenant", tenant, "--from", endpoint, "--key", key, "--secret", secret, "--json"
    )
    assert added.exit_code == 0, added.output
    return str(json.loads(added.output.splitlines()[-1])["id"])


def pull_now(cli: Cli, connection_id: str) -> str:
    done = cli("xapi", "connections", "pull", connection_id, "--tenant", "globex")
    assert done.exit_code == 0, done.output
    return done.output.splitlines()[-1]


def test_remove_takes_a_connection_of_this_tenant_only(cli: Cli, world: World) -> None:
    connection_id = add(cli, "globex", "https://a.example.com/", "k", "s")
    elsewhere = cli("xapi", "connections", "remove", connection_id, "--tenant", "acme")
    assert elsewhere.exit_code == 1 and f"no connection {connection_id} in this tenant" in elsewhere.output
    assert cli("xapi", "connections", "remove", connection_id, "--tenant", "globex").exit_code == 0
    assert cli("xapi", "connections", "list", "--tenant", "globex", "--json").output.strip() == "[]"


def test_pull_now_resumes_from_the_cursor_and_never_duplicates(
    cli: Cli, lrs: Lrs, runtime: Runtime, world: World, upstream: str, acme_key: tuple[str, str]
) -> None:
    sent = [with_id(statement(activity=f"https://lms.acme.test/{n}")) for n in range(3)]
    assert lrs.post(sent).status_code == 200
    connection_id = add(cli, "globex", upstream, *acme_key)

    assert pull_now(cli, connection_id).startswith("3 statements in 1 page(s), 3 new")
    assert lrs.post(with_id(statement(activity="https://lms.acme.test/9"))).status_code == 200
    assert pull_now(cli, connection_id).startswith("1 statements in 1 page(s), 1 new")
    assert pull_now(cli, connection_id).startswith("0 statements in 1 page(s), 0 new")
    assert globex_statements(runtime, world) == 4
    shown = json.loads(cli("xapi", "connections", "list", "--tenant", "globex", "--json").output)[0]
    assert shown["statements_pulled"] == 4 and shown["failures"] == 0 and shown["last_pulled_at"]
    # The upstream `stored` is kept beside each statement; the document's own `stored` is Globex's.
    with runtime.unit_of_work(read_only=True) as uow:
        pulled = uow.session.execute(
            select(StatementRecord.statement_id, StatementRecord.upstream_stored, StatementRecord.stored).where(
                StatementRecord.tenant_id == world.other_tenant.id
            )
        ).all()
    assert {r.statement_id for r in pulled} >= {s["id"] for s in sent}
    assert all(theirs is not None and theirs <= ours for _, theirs, ours in pulled)


def test_a_connection_shares_the_cursor_of_a_manual_pull(
    cli: Cli, lrs: Lrs, runtime: Runtime, world: World, upstream: str, acme_key: tuple[str, str]
) -> None:
    assert lrs.post([with_id(statement(activity=f"https://lms.acme.test/{n}")) for n in range(2)]).status_code == 200
    key, secret = acme_key
    by_hand = cli("xapi", "pull", "--tenant", "globex", "--from", upstream, "--key", key, "--secret", secret)
    assert by_hand.output.splitlines()[-1].startswith("2 statements in 1 page(s), 2 new")
    connection_id = add(cli, "globex", upstream, key, secret)
    assert pull_now(cli, connection_id).startswith("0 statements")
    assert globex_statements(runtime, world) == 2


def test_the_job_pulls_only_due_connections_and_a_failing_one_blocks_no_other(
    lrs: Lrs, runtime: Runtime, world: World, upstream: str, acme_key: tuple[str, str]
) -> None:
    assert lrs.post([with_id(statement(activity=f"https://lms.acme.test/{n}")) for n in range(3)]).status_code == 200
    now = datetime.now(UTC)
    key, secret = acme_key
    failing = connect(runtime, world, f"http://127.0.0.1:{closed_port()}/xapi/", "k", "s", now, every=10)
    refused = connect(runtime, world, upstream, "ssk_nobody", "not-the-secret", now, every=10)
    working = connect(runtime, world, upstream, key, secret, now, every=10)
    later = connect(runtime, world, upstream, "other-key", "s", now + timedelta(minutes=5))

    with runtime.unit_of_work(read_only=True) as uow:
        assert due_connections(uow, now) == [failing, refused, working]
    enqueued: list[int] = []
    assert enqueue_due_pulls(runtime, enqueued.append) == 3
    for connection_id in enqueued:
        pull_one_connection(runtime, connection_id)

    assert globex_statements(runtime, world) == 3
    ok = record(runtime, working)
    assert ok.statements_pulled == 3 and ok.failures == 0 and ok.last_error is None
    assert ok.next_pull_at > now + timedelta(minutes=9)
    down = record(runtime, failing)
    assert down.failures == 1 and "could not be reached" in (down.last_error or "")
    assert down.last_error_at is not None and down.last_pulled_at is None
    wrong = record(runtime, refused)
    assert wrong.failures == 1 and "answered 401" in (wrong.last_error or "")
    assert record(runtime, later).last_error is None and record(runtime, later).failures == 0
    # A pull that is no longer due does nothing (a second scheduler, or a job that waited in the queue).
    assert pull_one_connection(runtime, working) is None


def test_a_failing_upstream_is_tried_again_with_backoff_and_recovers(
    lrs: Lrs, runtime: Runtime, world: World, upstream: str, acme_key: tuple[str, str]
) -> None:
    key, secret = acme_key
    start = datetime.now(UTC)
    connection_id = connect(runtime, world, upstream, key, "wrong", start, every=10)
    cipher = runtime.connection_cipher
    waits = []
    moment = start
    for _ in range(4):
        done = pull_connection(runtime.unit_of_work, cipher, connection_id, moment)
        assert done is not None and done.error is not None
        waits.append(done.next_pull_at - moment)
        assert pull_connection(runtime.unit_of_work, cipher, connection_id, moment + waits[-1] / 2) is None
        moment = done.next_pull_at
    assert waits == [timedelta(minutes=10), timedelta(minutes=20), timedelta(minutes=40), timedelta(minutes=80)]
    assert record(runtime, connection_id).failures == 4

    with runtime.unit_of_work() as uow:  # the admin fixes the secret upstream's way: here, by storing the right one
        uow.session.execute(
            update(ConnectionRecord)
            .where(ConnectionRecord.id == connection_id)
            .values(encrypted_secret=cipher.encrypt(secret.encode()).decode())
        )
        uow.commit()
    assert lrs.post(with_id(statement())).status_code == 200
    done = pull_connection(runtime.unit_of_work, cipher, connection_id, moment)
    assert done is not None and done.pulled is not None and done.pulled.new == 1
    healed = record(runtime, connection_id)
    assert healed.failures == 0 and healed.next_pull_at == moment + timedelta(minutes=10)
    assert healed.last_error is not None  # the last error stays visible, with when it happened


def test_a_leased_connection_is_left_alone_until_its_lease_runs_out(
    cli: Cli, runtime: Runtime, world: World, upstream: str, acme_key: tuple[str, str]
) -> None:
    now = datetime.now(UTC)
    connection_id = connect(runtime, world, upstream, *acme_key, now)
    with runtime.unit_of_work() as uow:  # another worker is pulling it
        uow.session.execute(
            update(ConnectionRecord)
            .where(ConnectionRecord.id == connection_id)
            .values(leased_until=now + LEASE, lease_holder="another-worker")
        )
        uow.commit()
    with runtime.unit_of_work(read_only=True) as uow:
        assert due_connections(uow, now) == []
    assert pull_connection(runtime.unit_of_work, runtime.connection_cipher, connection_id, now) is None
    busy = cli("xapi", "connections", "pull", str(connection_id), "--tenant", "globex")
    assert busy.exit_code == 1 and "is being pulled right now by another process" in busy.output
    assert json.loads(cli("xapi", "connections", "list", "--tenant", "globex", "--json").output)[0]["pulling"]
    # The worker died: its lease runs out and the next worker takes the connection over.
    after = now + LEASE + timedelta(seconds=1)
    done = pull_connection(runtime.unit_of_work, runtime.connection_cipher, connection_id, after)
    assert done is not None and done.error is None
    assert record(runtime, connection_id).lease_holder is None


def test_workers_racing_for_one_connection_pull_it_once(
    lrs: Lrs, runtime: Runtime, world: World, upstream: str, acme_key: tuple[str, str]
) -> None:
    assert lrs.post([with_id(statement(activity=f"https://lms.acme.test/{n}")) for n in range(5)]).status_code == 200
    now = datetime.now(UTC)
    connection_id = connect(runtime, world, upstream, *acme_key, now)
    start = threading.Barrier(4)
    results: list[object] = []

    def race() -> None:
        start.wait()
        results.append(pull_connection(runtime.unit_of_work, runtime.connection_cipher, connection_id, now))

    racers = [threading.Thread(target=race) for _ in range(4)]
    for thread in racers:
        thread.start()
    for thread in racers:
        thread.join()
    assert sum(1 for result in results if result is not None) == 1
    assert record(runtime, connection_id).statements_pulled == 5
    assert globex_statements(runtime, world) == 5


def test_a_secret_encrypted_under_another_key_is_reported_not_crashed(
    runtime: Runtime, world: World, upstream: str, acme_key: tuple[str, str]
) -> None:
    from cryptography.fernet import Fernet

    now = datetime.now(UTC)
    with runtime.unit_of_work() as uow:
        other_instance = Fernet(Fernet.generate_key())
        added = add_connection(uow, other_instance, world.other_tenant.id, upstream, *acme_key, now)
        uow.commit()
    done = pull_connection(runtime.unit_of_work, runtime.connection_cipher, added.id, now)
    assert done is not None and done.pulled is None
    assert "cannot be decrypted with this instance's connection key" in (done.error or "")


def test_the_periodic_job_is_registered_and_runs_the_due_pulls(
    lrs: Lrs, runtime: Runtime, world: World, upstream: str, acme_key: tuple[str, str]
) -> None:
    assert lrs.post([with_id(statement(activity=f"https://lms.acme.test/{n}")) for n in range(2)]).status_code == 200
    connect(runtime, world, upstream, *acme_key, datetime.now(UTC))
    jobs = build_jobs(runtime)
    jobs.queue.immediate = True  # run each enqueued job at once, in this thread
    jobs.pull_due_connections()  # huey keeps no result for periodic jobs: what they did is the evidence
    assert globex_statements(runtime, world) == 2


@pytest.fixture
def silent_upstream() -> Iterator[str]:
    """An upstream that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/xapi/"
    listener.close()


# tincan does not close its connection when a request fails, so Python warns as it collects the socket.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning", "ignore::ResourceWarning")
def test_a_silent_upstream_times_out_and_is_recorded(runtime: Runtime, world: World, silent_upstream: str) -> None:
    runtime.xapi = XapiSettings(upstream_timeout_seconds=0.5)
    connection_id = connect(runtime, world, silent_upstream, "k", "s", datetime.now(UTC))
    started = time.monotonic()
    done = pull_one_connection(runtime, connection_id)
    assert time.monotonic() - started < 10
    assert done is not None and "timed out" in done["error"]
    assert "timed out" in (record(runtime, connection_id).last_error or "")
