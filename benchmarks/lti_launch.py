"""Benchmark: honest LTI 1.3 launches against the production server, beside a minimal pylti1p3 tool.

A launch is what a browser does when a learner clicks Sweetspot in the LMS: POST the OIDC login
initiation to the tool, follow its redirect to the platform (here the benchmark signs the id_token
itself, with the claim set the development LMS sends), then POST the id_token and state back to the
tool. The round trip measured is the tool's two answers (login and launch), one launch after another
from one client with a fresh cookie jar each time (a keep-alive connection), after a warm-up. Both
tools run under gunicorn with the same number of workers; the
platform's key set is served over HTTP with Cache-Control max-age=3600, so Sweetspot fetches it once
while the reference fetches it on every launch, as pylti1p3 does without a cache.

    .venv/bin/python benchmarks/lti_launch.py [--launches 500] [--database-url postgresql://…]

Results: benchmarks/results/lti-launch.md and .json.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import platform as host
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import psycopg
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from lti_tool.keys import SigningKey, generate_private_key_pem

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = ROOT / "benchmarks" / "results"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
CLIENT_ID = "bench-client"
DEPLOYMENT_ID = "bench-deployment"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def key_set_server(key: SigningKey) -> Iterator[tuple[str, list[int]]]:
    """The platform's JWKS on a real HTTP server; yields its URL and a counter of fetches."""
    fetches = [0]
    body = json.dumps({"keys": [key.public_jwk]})

    def serve(environ: dict[str, Any], start_response: Any) -> Any:
        fetches[0] += 1
        response = Response(body, mimetype="application/json", headers={"Cache-Control": "max-age=3600"})
        return response(environ, start_response)

    server = make_server("127.0.0.1", 0, serve, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/jwks.json", fetches
    finally:
        server.shutdown()


def claims(issuer: str, target: str, nonce: str, n: int) -> dict[str, Any]:
    """The id_token claims the development LMS sends for a learner's resource-link launch."""
    now = int(time.time())
    lti = "https://purl.imsglobal.org/spec/lti/claim/"
    return {
        "iss": issuer,
        "aud": CLIENT_ID,
        "sub": f"learner-{n % 50}",
        "exp": now + 300,
        "iat": now,
        "nonce": nonce,
        "name": f"Learner {n % 50}",
        "email": f"learner{n % 50}@bench.test",
        lti + "message_type": "LtiResourceLinkRequest",
        lti + "version": "1.3.0",
        lti + "deployment_id": DEPLOYMENT_ID,
        lti + "target_link_uri": target,
        lti + "resource_link": {"id": "link-1", "title": "Sweetspot"},
        lti + "roles": [LEARNER],
        lti + "context": {"id": "course-1", "title": "Benchmark course"},
        lti + "launch_presentation": {"locale": "en", "document_target": "iframe"},
    }


def launch_once(
    session: requests.Session, tool: str, login_path: str, target: str, issuer: str, key: SigningKey, n: int
) -> float:
    """One launch through login and id_token POST; the seconds the tool took to answer both.

    Each launch starts from an empty cookie jar, as a different learner's browser would: pylti1p3 leaves a
    state cookie per launch, and the reference would otherwise grow the Cookie header past the limit.
    """
    session.cookies.clear()
    started = time.perf_counter()
    login = session.post(
        tool + login_path,
        data={"iss": issuer, "login_hint": "hint", "target_link_uri": target, "client_id": CLIENT_ID,
              "lti_deployment_id": DEPLOYMENT_ID},
        allow_redirects=False,
    )  # fmt: skip
    login_seconds = time.perf_counter() - started
    if login.status_code != 302:
        raise RuntimeError(f"login answered {login.status_code}: {login.text[:300]}")
    query = parse_qs(urlsplit(login.headers["Location"]).query)
    token = jwt.encode(
        claims(issuer, target, query["nonce"][0], n), key.private_pem, algorithm="RS256", headers={"kid": key.kid}
    )
    started = time.perf_counter()
    answer = session.post(
        query["redirect_uri"][0], data={"id_token": token, "state": query["state"][0]}, allow_redirects=False
    )
    launch_seconds = time.perf_counter() - started
    if answer.status_code not in (200, 303):
        raise RuntimeError(f"launch answered {answer.status_code}: {answer.text[:300]}")
    return login_seconds + launch_seconds


def launch_through_storage(
    session: requests.Session, tool: str, target: str, issuer: str, key: SigningKey, n: int
) -> float:
    """One launch in a frame whose browser keeps no cookie, through the platform's storage.

    The login answers its page (the script would put the state and nonce in the platform's frame), the
    id_token POST answers the page that reads them back, and that page's POST completes the launch: the
    seconds are the tool's three answers (the postMessage round trips in the browser are not counted).
    """
    framed = {"Sec-Fetch-Dest": "iframe"}
    session.cookies.clear()
    started = time.perf_counter()
    login = session.post(
        tool + "/lti/login",
        data={"iss": issuer, "login_hint": "hint", "target_link_uri": target, "client_id": CLIENT_ID,
              "lti_deployment_id": DEPLOYMENT_ID, "lti_storage_target": "_parent"},
        headers=framed,
        allow_redirects=False,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    if login.status_code != 200:
        raise RuntimeError(f"login answered {login.status_code}: {login.text[:300]}")
    state, nonce, auth_url = (_data_attribute(login.text, name) for name in ("state", "nonce", "auth-url"))
    token = jwt.encode(claims(issuer, target, nonce, n), key.private_pem, algorithm="RS256", headers={"kid": key.kid})
    session.cookies.clear()  # the frame keeps none
    launch_url = parse_qs(urlsplit(auth_url).query)["redirect_uri"][0]
    started = time.perf_counter()
    check = session.post(launch_url, data={"id_token": token, "state": state}, headers=framed, allow_redirects=False)
    seconds += time.perf_counter() - started
    if check.status_code != 200:
        raise RuntimeError(f"launch answered {check.status_code}: {check.text[:300]}")
    confirmation = {"id_token": token, "state": state, "lti_storage_state": state, "lti_storage_nonce": nonce}
    started = time.perf_counter()
    answer = session.post(launch_url, data=confirmation, headers={**framed, "Origin": tool}, allow_redirects=False)
    seconds += time.perf_counter() - started
    if answer.status_code != 303:
        raise RuntimeError(f"confirmation answered {answer.status_code}: {answer.text[:300]}")
    return seconds


def _data_attribute(page: str, name: str) -> str:
    found = re.search(rf'data-{name}="([^"]*)"', page)
    if found is None:
        raise RuntimeError(f"the page has no data-{name}")
    return html.unescape(found[1])


def measure(run: Callable[[int], float], launches: int, warmup: int) -> dict[str, float]:
    """Latency statistics of `launches` launches after `warmup` unmeasured ones, in milliseconds."""
    for n in range(warmup):
        run(n)
    samples = sorted(run(warmup + n) * 1000 for n in range(launches))
    return {
        "launches": launches,
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[int(0.95 * (len(samples) - 1))], 2),
        "p99_ms": round(samples[int(0.99 * (len(samples) - 1))], 2),
        "mean_ms": round(statistics.fmean(samples), 2),
        "launches_per_second": round(1000 / statistics.fmean(samples), 1),
    }


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll until the server answers, or fail with its log."""
    for _ in range(300):
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text()[-2000:]}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"server did not start: {log.read_text()[-2000:]}")


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """A fresh database on the server, dropped afterwards."""
    name = f"sweetspot_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    try:
        yield server_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(server_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def main() -> None:
    """Run both tools, measure, and write the results."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--launches", type=int, default=500)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    key = SigningKey.from_pem(generate_private_key_pem(2048))
    issuer = "https://lms.bench.test"
    scratch = Path(tempfile.mkdtemp(prefix="sweetspot-launch-bench-"))
    load_before = os.getloadavg()
    results: dict[str, Any] = {}
    with key_set_server(key) as (jwks_url, fetches), postgres_database(args.database_url) as database_url:
        env = {**os.environ, "DATABASE_URL": database_url, "SWEETSPOT_DATA_DIR": str(scratch / "instance")}
        env.pop("REDIS_URL", None)

        def sweetspot(*command: str) -> None:
            subprocess.run([str(BIN / "sweetspot"), *command], env=env, check=True, capture_output=True)

        sweetspot("db", "upgrade")
        sweetspot("tenant", "create", "bench", "--name", "Benchmark")
        sweetspot(
            "lti", "platform", "add", "--tenant", "bench", "--issuer", issuer, "--client-id", CLIENT_ID,
            "--deployment-id", DEPLOYMENT_ID, "--auth-login-url", issuer + "/auth",
            "--auth-token-url", issuer + "/token", "--key-set-url", jwks_url,
        )  # fmt: skip
        port = free_port()
        log = scratch / "sweetspot.log"
        with log.open("wb") as out:
            server = subprocess.Popen(
                [str(BIN / "sweetspot"), "serve", "--port", str(port), "--workers", str(args.workers)],
                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        try:
            tool = f"http://127.0.0.1:{port}"
            wait_until_up(tool + "/healthz", server, log)
            fetches[0] = 0
            session = requests.Session()
            results["sweetspot"] = measure(
                lambda n: launch_once(session, tool, "/lti/login", tool + "/app/", issuer, key, n),
                args.launches,
                args.warmup,
            )
            results["sweetspot"]["key_set_fetches"] = fetches[0]
            fetches[0] = 0
            results["sweetspot_platform_storage"] = measure(
                lambda n: launch_through_storage(session, tool, tool + "/app/", issuer, key, n),
                args.launches,
                args.warmup,
            )
            results["sweetspot_platform_storage"]["key_set_fetches"] = fetches[0]
        finally:
            server.terminate()
            server.wait(timeout=30)

        port = free_port()
        log = scratch / "reference.log"
        reference_env = {
            **os.environ,
            "REFERENCE_ISSUER": issuer,
            "REFERENCE_CLIENT_ID": CLIENT_ID,
            "REFERENCE_DEPLOYMENT_ID": DEPLOYMENT_ID,
            "REFERENCE_AUTH_URL": issuer + "/auth",
            "REFERENCE_JWKS_URL": jwks_url,
            "REFERENCE_SECRET": uuid.uuid4().hex,
            "PYTHONPATH": str(ROOT),
        }
        with log.open("wb") as out:
            reference = subprocess.Popen(
                [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
                 "--threads", "4", "benchmarks.reference_lti_tool:create_app()"],
                env=reference_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        try:
            tool = f"http://127.0.0.1:{port}"
            wait_until_up(tool + "/", reference, log)
            fetches[0] = 0
            session = requests.Session()
            results["reference_pylti1p3"] = measure(
                lambda n: launch_once(session, tool, "/login", tool + "/launch", issuer, key, n),
                args.launches,
                args.warmup,
            )
            results["reference_pylti1p3"]["key_set_fetches"] = fetches[0]
        finally:
            reference.terminate()
            reference.wait(timeout=30)
    shutil.rmtree(scratch, ignore_errors=True)
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{host.machine()}, {os.cpu_count()} cores, Python {host.python_version()}",
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "database": "PostgreSQL",
        "workers": args.workers,
        "targets": {"p50_ms": 15, "p95_ms": 25},
        "results": results,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "lti-launch.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / "lti-launch.md").write_text(render(report))
    print(render(report))


def render(report: dict[str, Any]) -> str:
    """The results as Markdown."""
    rows = "\n".join(
        f"| {name} | {r['launches']} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} | {r['mean_ms']} "
        f"| {r['launches_per_second']} | {r['key_set_fetches']} |"
        for name, r in report["results"].items()
    )
    return f"""# LTI launch benchmark

Generated by `benchmarks/lti_launch.py` (`make bench-launch`) on {report["when"]}: {report["machine"]},
{report["database"]}, gunicorn with {report["workers"]} workers for both tools; load average
{report["load_average_before"]} before and {report["load_average_after"]} after.

A launch is the OIDC login initiation plus the id_token POST, one after another from one client, as a
browser sends them; the time is the tool's two answers. Targets for Sweetspot: p50 at most
{report["targets"]["p50_ms"]} ms and p95 at most {report["targets"]["p95_ms"]} ms.

| tool | launches | p50 ms | p95 ms | p99 ms | mean ms | launches/s | key-set fetches |
|---|---|---|---|---|---|---|---|
{rows}

`sweetspot` is a launch by cookie: the login initiation answered with a redirect, then the id_token
POST. `sweetspot_platform_storage` is a launch in a frame whose browser keeps no cookie: the login
answers its page, the id_token POST answers the page that reads the state and nonce back from the
platform's storage, and that page's confirmation POST completes the launch; the time is the tool's
three answers (the browser's postMessage round trips with the platform are not counted). The targets
are for the first.

Sweetspot does more per launch than the reference: it records the person, context, membership,
identities, service endpoints and an engagement event, records the nonce as used in the database
(only through an active deployment), and writes the session; the reference only validates the token.
That is 7 SQL statements besides BEGIN and COMMIT (`benchmarks/lti_launch_profile.py` lists them and
profiles the handler; [docs/lti-launch.md](../../docs/lti-launch.md) says where the time goes). The
reference downloads the platform's key set on every launch; Sweetspot caches it as the platform's
Cache-Control allows.
"""


if __name__ == "__main__":
    main()
