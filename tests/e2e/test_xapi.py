"""The xAPI endpoint of a real server, used by the `tincan` library as any xAPI client would, and killed mid-load."""

from __future__ import annotations

import json
import threading
import uuid
from typing import Any

import requests
from tincan import Activity, Agent, RemoteLRS, Statement, Verb

from tests.e2e.conftest import Launcher, free_port, wait_until_up


def credential(launcher: Launcher) -> dict[str, Any]:
    assert launcher.run("tenant", "create", "acme", "--name", "Acme").returncode == 0
    created = launcher.run("xapi", "credentials", "create", "--tenant", "acme", "--json")
    assert created.returncode == 0, created.stderr
    return json.loads(created.stdout)


def tincan_statement(email: str, activity: str, statement_id: str | None = None) -> Statement:
    return Statement(
        id=statement_id,
        actor=Agent(name="Ana", mbox=f"mailto:{email}"),
        verb=Verb(id="http://adlnet.gov/expapi/verbs/experienced", display={"en-US": "experienced"}),
        object=Activity(id=activity),
    )


def test_tincan_saves_reads_and_queries_statements(launcher: Launcher) -> None:
    keys = credential(launcher)
    _, base = launcher.serve()
    lrs = RemoteLRS(endpoint=f"{base}/xapi/", username=keys["key"], password=keys["secret"], version="1.0.3")

    posted = lrs.save_statement(tincan_statement("ana@acme.test", "https://lms.acme.test/a"))
    assert posted.success, posted.data
    with_id = str(uuid.uuid4())
    put = lrs.save_statement(tincan_statement("ana@acme.test", "https://lms.acme.test/b", with_id))
    assert put.success, put.data
    assert lrs.save_statements(
        [tincan_statement("ben@acme.test", f"https://lms.acme.test/{n}") for n in range(3)]
    ).success

    fetched = lrs.retrieve_statement(with_id)
    assert fetched.success
    assert fetched.content.object.id == "https://lms.acme.test/b"

    mine = lrs.query_statements({"agent": Agent(mbox="mailto:ana@acme.test"), "limit": 1})
    assert mine.success
    assert len(mine.content.statements) == 1 and mine.content.more
    more = lrs.more_statements(mine.content)
    assert more.success and len(more.content.statements) == 1

    wrong = RemoteLRS(endpoint=f"{base}/xapi/", username=keys["key"], password="not-the-secret", version="1.0.3")
    refused = wrong.save_statement(tincan_statement("ana@acme.test", "https://lms.acme.test/c"))
    assert not refused.success and refused.response.status == 401


def test_no_acknowledged_statement_is_lost_when_the_server_is_killed(launcher: Launcher) -> None:
    keys = credential(launcher)
    port = free_port()
    server = launcher.start("serve", "--port", str(port), "--workers", "2")
    base = f"http://127.0.0.1:{port}"
    wait_until_up(server, base)
    acknowledged: list[str] = []
    stop = threading.Event()

    def send() -> None:
        session = requests.Session()
        session.auth = (keys["key"], keys["secret"])
        session.headers["X-Experience-API-Version"] = "1.0.3"
        while not stop.is_set():
            statement = {
                "id": str(uuid.uuid4()),
                "actor": {"mbox": "mailto:load@acme.test"},
                "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
                "object": {"id": "https://lms.acme.test/load"},
            }
            try:
                response = session.post(f"{base}/xapi/statements", json=statement, timeout=5)
            except requests.RequestException:
                return
            if response.status_code == 200:
                acknowledged.append(statement["id"])

    senders = [threading.Thread(target=send) for _ in range(4)]
    for thread in senders:
        thread.start()
    waited = threading.Event()
    for _ in range(1200):  # at most a minute
        if len(acknowledged) >= 200 or waited.wait(0.05):
            break
    server.kill_group()  # the master and its workers, all at once, as a power cut would
    server.popen.wait()
    stop.set()
    for thread in senders:
        thread.join()
    launcher.run("db", "current")

    _, base = launcher.serve()
    session = requests.Session()
    session.auth = (keys["key"], keys["secret"])
    session.headers["X-Experience-API-Version"] = "1.0.3"
    missing = [
        statement_id
        for statement_id in acknowledged
        if session.get(f"{base}/xapi/statements", params={"statementId": statement_id}, timeout=5).status_code != 200
    ]
    assert len(acknowledged) >= 200
    assert missing == []


def test_pull_from_an_upstream_lrs_resumes_and_never_duplicates(launcher: Launcher) -> None:
    source = credential(launcher)
    assert launcher.run("tenant", "create", "globex", "--name", "Globex").returncode == 0
    _, base = launcher.serve()
    upstream = RemoteLRS(endpoint=f"{base}/xapi/", username=source["key"], password=source["secret"], version="1.0.3")
    assert upstream.save_statements(
        [tincan_statement("ana@acme.test", f"https://lms.acme.test/{n}") for n in range(3)]
    ).success

    def pull() -> str:
        done = launcher.run(
            "xapi",
            "pull",
            "--tenant",
            "globex",
            "--from",
            f"{base}/xapi/",
            "--key",
            source["key"],
            "--secret",
            source["secret"],
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert pull().startswith("3 statements in 1 page(s), 3 new")
    assert upstream.save_statement(tincan_statement("ben@acme.test", "https://lms.acme.test/9")).success
    assert pull().startswith("1 statements in 1 page(s), 1 new")
    assert pull().startswith("0 statements in 1 page(s), 0 new")
    refused = launcher.run(
        "xapi", "pull", "--tenant", "globex", "--from", f"{base}/xapi/", "--key", source["key"], "--secret", "wrong"
    )
    assert refused.returncode == 1
    assert "answered 401" in refused.stderr
