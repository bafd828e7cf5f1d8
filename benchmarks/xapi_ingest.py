"""The xAPI ingest benchmark: Sweetspot's production server on PostgreSQL against Ralph LRS (file system).

What it does, in one run:

1. makes a fresh PostgreSQL database, runs `sweetspot db upgrade`, creates a tenant and an xAPI credential
   with the CLI, and starts the production server (`sweetspot serve`, gunicorn) with jobs on Redis;
2. posts realistic statements (Moodle logstore_xapi and cmi5 shapes: varied actors, verbs, activities,
   results and context) from concurrent client processes, singly and in batches of 100, timing every
   request; throughput is also reported in consecutive slices of each run, as the store fills;
3. preloads the store to a million statements or more through PostgreSQL COPY (the same rows and index
   rows the store writes) and measures both loads again on the big store;
4. installs Ralph LRS (`ralph-malph[backend-fs,lrs]`) into its own virtualenv outside the repository,
   starts it on its file-system backend the way its documentation deploys it, and sends it the same load.

Results go to benchmarks/results/xapi-ingest.md and .json. The clients are separate processes with
keep-alive connections and bodies serialised before the clock starts; their CPU time is reported.

    .venv/bin/python benchmarks/xapi_ingest.py            # the full run (about 20 minutes)
    .venv/bin/python benchmarks/xapi_ingest.py --quick    # a smoke run with small counts
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import multiprocessing
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "benchmarks" / "results"
SWEETSPOT = REPO / ".venv" / "bin" / "sweetspot"
RALPH_VENV = Path.home() / ".cache" / "sweetspot-bench" / "ralph-venv"
# The fs backend needs no extra; `ralph auth` needs the CLI extra, and its LRS imports requests (OIDC) without
# declaring it.
RALPH_PACKAGES = ["ralph-malph[cli,lrs]", "requests"]
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432"
BENCH_DB = "sweetspot_bench_ingest"
SWEETSPOT_PORT = 8871
RALPH_PORT = 8872
SLICES = 10

# --- realistic statements ---------------------------------------------------------------------------

MOODLE = "https://moodle.example.com"
VERBS = {
    "viewed": "http://id.tincanapi.com/verb/viewed",
    "completed": "http://adlnet.gov/expapi/verbs/completed",
    "attempted": "http://adlnet.gov/expapi/verbs/attempted",
    "answered": "http://adlnet.gov/expapi/verbs/answered",
    "scored": "http://adlnet.gov/expapi/verbs/scored",
    "submitted": "http://activitystrea.ms/schema/1.0/submit",
    "commented": "http://adlnet.gov/expapi/verbs/commented",
    "launched": "http://adlnet.gov/expapi/verbs/launched",
    "initialized": "http://adlnet.gov/expapi/verbs/initialized",
    "progressed": "http://adlnet.gov/expapi/verbs/progressed",
    "passed": "http://adlnet.gov/expapi/verbs/passed",
    "failed": "http://adlnet.gov/expapi/verbs/failed",
    "terminated": "http://adlnet.gov/expapi/verbs/terminated",
}
MODULE_TYPES = {
    "quiz": "http://adlnet.gov/expapi/activities/assessment",
    "page": "http://id.tincanapi.com/activitytype/lms/module",
    "assign": "http://adlnet.gov/expapi/activities/assessment",
    "forum": "http://id.tincanapi.com/activitytype/discussion",
    "scorm": "http://adlnet.gov/expapi/activities/module",
    "lesson": "http://adlnet.gov/expapi/activities/lesson",
    "url": "http://adlnet.gov/expapi/activities/link",
    "h5pactivity": "http://adlnet.gov/expapi/activities/interaction",
}
CMI5_CATEGORY = {"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}
CMI5_SESSION = "https://w3id.org/xapi/cmi5/context/extensions/sessionid"
CMI5_PROGRESS = "https://w3id.org/xapi/cmi5/result/extensions/progress"
LEARNERS = 5_000
COURSES = 60
MODULES_PER_COURSE = 12


class StatementMaker:
    """Statements shaped like Moodle's logstore_xapi and cmi5 content send them, from a fixed seed."""

    def __init__(self, seed: int, start: datetime) -> None:
        self._random = random.Random(seed)
        self._clock = start

    def statements(self, count: int) -> Iterator[dict[str, Any]]:
        """`count` statements, about two thirds from Moodle and one third from cmi5 content."""
        for _ in range(count):
            self._clock += timedelta(milliseconds=self._random.randint(5, 900))
            yield self._moodle() if self._random.random() < 0.67 else self._cmi5()

    def _actor(self) -> dict[str, Any]:
        user = self._random.randint(2, LEARNERS + 1)
        if user % 4 == 0:
            return {"objectType": "Agent", "name": f"Learner {user}", "mbox": f"mailto:learner{user}@example.com"}
        return {"objectType": "Agent", "name": f"Learner {user}", "account": {"homePage": MOODLE, "name": str(user)}}

    def _course(self) -> tuple[int, dict[str, Any]]:
        course = self._random.randint(2, COURSES + 1)
        return course, {
            "id": f"{MOODLE}/course/view.php?id={course}",
            "objectType": "Activity",
            "definition": {
                "type": "http://id.tincanapi.com/activitytype/lms/course",
                "name": {"en": f"Course {course}: workplace skills"},
                "extensions": {"https://w3id.org/learning-analytics/learning-management-system/short-id": f"C{course}"},
            },
        }

    def _timestamp(self) -> str:
        return self._clock.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def _moodle(self) -> dict[str, Any]:
        rnd = self._random
        course_id, course = self._course()
        module_kind = rnd.choice(list(MODULE_TYPES))
        module = course_id * 100 + rnd.randint(1, MODULES_PER_COURSE)
        verb = rnd.choice(
            {
                "quiz": ["attempted", "completed", "scored", "viewed"],
                "assign": ["submitted", "viewed", "completed"],
                "forum": ["viewed", "commented"],
            }.get(module_kind, ["viewed", "viewed", "completed"])
        )
        statement: dict[str, Any] = {
            "actor": self._actor(),
            "verb": {"id": VERBS[verb], "display": {"en": verb}},
            "object": {
                "id": f"{MOODLE}/mod/{module_kind}/view.php?id={module}",
                "objectType": "Activity",
                "definition": {
                    "type": MODULE_TYPES[module_kind],
                    "name": {"en": f"{module_kind.title()} {module}"},
                    "description": {"en": f"Module {module} of course {course_id}"},
                    "extensions": {
                        "https://w3id.org/learning-analytics/learning-management-system/external-id": module
                    },
                },
            },
            "timestamp": self._timestamp(),
            "context": {
                "platform": "Moodle",
                "language": "en",
                "extensions": {
                    "http://lrs.learninglocker.net/define/extensions/info": {
                        "https://moodle.org/": "4.3.2 (Build: 20231211)",
                        "https://github.com/xAPI-vle/moodle-logstore_xapi": "v4.7.0",
                        "event_name": f"\\mod_{module_kind}\\event\\course_module_{verb}",
                        "event_function": "course_module_viewed",
                    }
                },
                "contextActivities": {
                    "grouping": [
                        {"id": MOODLE, "definition": {"type": "http://id.tincanapi.com/activitytype/lms"}},
                        course,
                    ],
                    "category": [
                        {
                            "id": "http://moodle.org",
                            "definition": {"type": "http://id.tincanapi.com/activitytype/source"},
                        }
                    ],
                },
            },
        }
        if verb in ("completed", "scored", "attempted") and module_kind in ("quiz", "assign", "scorm", "h5pactivity"):
            raw = rnd.randint(0, 20)
            statement["result"] = {
                "score": {"raw": raw, "min": 0, "max": 20, "scaled": round(raw / 20, 4)},
                "success": raw >= 12,
                "completion": verb == "completed",
                "duration": f"PT{rnd.randint(1, 50)}M{rnd.randint(0, 59)}S",
            }
        elif verb == "completed":
            statement["result"] = {"completion": True}
        return statement

    def _cmi5(self) -> dict[str, Any]:
        rnd = self._random
        course_id, course = self._course()
        au = course_id * 100 + rnd.randint(1, MODULES_PER_COURSE)
        verb = rnd.choice(
            ["launched", "initialized", "progressed", "progressed", "completed", "passed", "failed", "terminated"]
        )
        statement: dict[str, Any] = {
            "id": str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
            "actor": self._actor(),
            "verb": {"id": VERBS[verb], "display": {"en-US": verb}},
            "object": {
                "id": f"https://content.example.com/cmi5/au/{au}",
                "objectType": "Activity",
                "definition": {
                    "type": "https://w3id.org/xapi/cmi5/activitytype/block"
                    if au % 7 == 0
                    else "http://adlnet.gov/expapi/activities/lesson",
                    "name": {"en-US": f"Assignable unit {au}", "fr-FR": f"Unité {au}"},
                },
            },
            "timestamp": self._timestamp(),
            "context": {
                "registration": str(uuid.UUID(int=rnd.getrandbits(128), version=4)),
                "contextActivities": {"category": [CMI5_CATEGORY], "parent": [course]},
                "extensions": {CMI5_SESSION: str(uuid.UUID(int=rnd.getrandbits(128), version=4))},
            },
        }
        if verb == "progressed":
            statement["result"] = {"extensions": {CMI5_PROGRESS: rnd.randint(1, 99)}}
        elif verb in ("passed", "failed"):
            scaled = round(rnd.uniform(0.8, 1.0) if verb == "passed" else rnd.uniform(0.0, 0.79), 3)
            statement["result"] = {
                "score": {"scaled": scaled},
                "success": verb == "passed",
                "duration": f"PT{rnd.randint(60, 3600)}S",
            }
        elif verb == "completed":
            statement["result"] = {"completion": True, "duration": f"PT{rnd.randint(60, 3600)}S"}
        elif verb == "terminated":
            statement["result"] = {"duration": f"PT{rnd.randint(60, 7200)}S"}
        return statement


def request_bodies(statements: Sequence[dict[str, Any]], batch: int) -> list[bytes]:
    """The request bodies for this load: one statement as an object, or arrays of `batch`."""
    if batch == 1:
        return [json.dumps(s).encode() for s in statements]
    return [json.dumps(list(statements[i : i + batch])).encode() for i in range(0, len(statements), batch)]


# --- the load generator -----------------------------------------------------------------------------


@dataclass
class ClientResult:
    """What one client process did: each request's start offset and latency, errors and its CPU time."""

    starts: list[float]
    latencies: list[float]
    errors: list[str]
    cpu_seconds: float
    wall_seconds: float


def _client(
    port: int,
    path: str,
    headers: dict[str, str],
    bodies: list[bytes],
    go: Any,
    results: Any,
    index: int,
) -> None:
    """One client process: post `bodies` one after another on one keep-alive connection."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    connection.connect()
    connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    starts: list[float] = []
    latencies: list[float] = []
    errors: list[str] = []
    go.wait()
    cpu0 = time.process_time()
    wall0 = time.perf_counter()
    for body in bodies:
        started = time.perf_counter()
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        answer = response.read()
        latencies.append(time.perf_counter() - started)
        starts.append(started)
        if response.status != 200 and len(errors) < 20:
            errors.append(f"{response.status} {answer[:300]!r}")
    results.put(
        (index, ClientResult(starts, latencies, errors, time.process_time() - cpu0, time.perf_counter() - wall0))
    )
    connection.close()


_TICKS = os.sysconf("SC_CLK_TCK")


def _process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a live process has used, 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            return [int(c) for c in children.read().split()]
    except OSError:
        return []


@dataclass
class CpuProbe:
    """CPU used by the server under test: its process tree, and the PostgreSQL backends serving its database."""

    server_pid: int
    database: str | None = None

    def server_pids(self) -> list[int]:
        """The server's own processes (for Sweetspot, gunicorn's master and workers)."""
        return [self.server_pid, *_children(self.server_pid)]

    def pids(self) -> list[int]:
        """The server's processes and, for Sweetspot, the PostgreSQL backends connected to its database."""
        found = self.server_pids()
        if self.database:
            with _admin() as admin:
                found += [
                    r[0] for r in admin.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s", (self.database,))
                ]
        return found

    def sample(self) -> dict[int, float]:
        """CPU seconds so far, per process."""
        return {pid: _process_cpu(pid) for pid in self.pids()}


def _cpu_busy() -> tuple[int, int]:
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


@dataclass
class LoadResult:
    """One measured load: throughput, latency percentiles, per-slice throughput and where the CPU went."""

    target: str
    label: str
    batch: int
    clients: int
    statements: int
    requests: int
    store_before: int
    seconds: float
    statements_per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    slices: list[dict[str, float]] = field(default_factory=list)
    client_cpu_seconds: float = 0.0
    client_cpu_share: float = 0.0
    machine_cpu_busy: float = 0.0
    server_cpu_seconds: float = 0.0
    server_cpu_us_per_statement: float = 0.0
    server_python_us_per_statement: float = 0.0
    """The part of server_cpu_us_per_statement spent in the server's own processes; the rest is the database's."""
    errors: list[str] = field(default_factory=list)


def _percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def run_load(
    target: str,
    label: str,
    port: int,
    path: str,
    headers: dict[str, str],
    statements: list[dict[str, Any]],
    batch: int,
    clients: int,
    store_before: int,
    probe: CpuProbe,
) -> LoadResult:
    """Post `statements` in requests of `batch` from `clients` processes and measure every request."""
    bodies = request_bodies(statements, batch)
    per_request = [min(batch, len(statements) - i) for i in range(0, len(statements), batch)]
    shares = [bodies[i::clients] for i in range(clients)]
    context = multiprocessing.get_context("fork")
    go = context.Event()
    results = context.Queue()
    processes = [
        context.Process(target=_client, args=(port, path, headers, shares[i], go, results, i)) for i in range(clients)
    ]
    for process in processes:
        process.start()
    time.sleep(0.5)
    cpu0 = probe.sample()
    busy0, total0 = _cpu_busy()
    go.set()
    gathered = dict(results.get() for _ in processes)
    busy1, total1 = _cpu_busy()
    cpu1 = probe.sample()
    # Backends that came or went during the run count from zero or up to their last sample.
    used = {pid: cpu1.get(pid, cpu0.get(pid, 0.0)) - cpu0.get(pid, 0.0) for pid in {*cpu0, *cpu1}}
    server_cpu = sum(used.values())
    own = set(probe.server_pids())
    server_python = sum(seconds for pid, seconds in used.items() if pid in own)
    for process in processes:
        process.join()
    # Request i of client c is request c + i*clients overall: map back to statement counts.
    samples: list[tuple[float, float, int]] = []
    errors: list[str] = []
    for c in range(clients):
        result = gathered[c]
        errors += result.errors
        for i, (start, latency) in enumerate(zip(result.starts, result.latencies, strict=True)):
            samples.append((start, latency, per_request[c + i * clients]))
    samples.sort()
    first = samples[0][0]
    ends = [start + latency for start, latency, _ in samples]
    seconds = max(ends) - first
    ordered = sorted(latency for _, latency, _ in samples)
    slices = []
    done = 0
    slice_size = len(statements) / SLICES
    boundary_start = first
    count_in_slice = 0
    order_by_end = sorted(zip(ends, (n for _, _, n in samples), strict=True))
    for end, n in order_by_end:
        done += n
        count_in_slice += n
        if done >= slice_size * (len(slices) + 1) - 1e-9 or done == len(statements):
            span = end - boundary_start
            slices.append(
                {
                    "store_at_start": store_before + done - count_in_slice,
                    "statements": count_in_slice,
                    "statements_per_second": round(count_in_slice / span, 1) if span > 0 else 0.0,
                }
            )
            boundary_start = end
            count_in_slice = 0
    client_cpu = sum(r.cpu_seconds for r in gathered.values())
    cores = os.cpu_count() or 1
    return LoadResult(
        target=target,
        label=label,
        batch=batch,
        clients=clients,
        statements=len(statements),
        requests=len(bodies),
        store_before=store_before,
        seconds=round(seconds, 2),
        statements_per_second=round(len(statements) / seconds, 1),
        p50_ms=round(_percentile(ordered, 0.50) * 1000, 2),
        p90_ms=round(_percentile(ordered, 0.90) * 1000, 2),
        p99_ms=round(_percentile(ordered, 0.99) * 1000, 2),
        max_ms=round(ordered[-1] * 1000, 2),
        slices=slices,
        client_cpu_seconds=round(client_cpu, 2),
        client_cpu_share=round(client_cpu / (seconds * cores), 3),
        machine_cpu_busy=round((busy1 - busy0) / max(1, total1 - total0), 3),
        server_cpu_seconds=round(server_cpu, 2),
        server_cpu_us_per_statement=round(server_cpu / len(statements) * 1e6, 1),
        server_python_us_per_statement=round(server_python / len(statements) * 1e6, 1),
        errors=errors,
    )


# --- Sweetspot --------------------------------------------------------------------------------------


def _run(command: list[str], env: dict[str, str], capture: bool = False) -> str:
    completed = subprocess.run(command, env=env, check=True, text=True, capture_output=capture)
    return completed.stdout if capture else ""


def _wait_for_http(port: int, path: str, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server on port {port} exited with {process.returncode} before answering")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", path)
            status = connection.getresponse().status
            connection.close()
            if status < 500:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"the server on port {port} did not answer {path} within {timeout:.0f} s")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _drop_queue(redis_url: str) -> None:
    """Empty the benchmark's job queue: no worker runs during the benchmark, so the hand-off jobs wait there."""
    import redis

    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter("huey.*sweetspot*"):
        client.delete(key)
    client.close()


def _admin() -> psycopg.Connection[Any]:
    return psycopg.connect(f"{POSTGRES_URL}/postgres", autocommit=True)


def _postgres_settings() -> str:
    """The server settings that matter for writes, as SHOW gives them."""
    names = ("server_version", "shared_buffers", "max_wal_size", "wal_compression", "checkpoint_timeout")
    with _admin() as admin:
        return ", ".join(f"{name} {admin.execute(f'SHOW {name}').fetchone()[0]}" for name in names)  # type: ignore[index]


def _basic(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


def store_size(database_url: str) -> int:
    """How many statements the Sweetspot store holds."""
    with psycopg.connect(database_url) as connection:
        row = connection.execute("SELECT count(*) FROM xapi_statements").fetchone()
    return int(row[0]) if row else 0


def preload(database_url: str, tenant_id: int, credential_id: int, count: int, seed: int) -> float:
    """Fill the store with `count` statements by COPY, with the agent and activity keys the store writes; return
    seconds."""
    sys.path.insert(0, str(REPO))
    from xapi_listener.store import activity_keys_of, agent_keys_of, new_statement_id

    started = time.perf_counter()
    maker = StatementMaker(seed, datetime(2024, 1, 1, tzinfo=UTC))
    authority = {
        "objectType": "Agent",
        "name": "preload",
        "account": {"homePage": "http://127.0.0.1/xapi/", "name": "preload"},
    }
    chunk = 50_000
    with psycopg.connect(database_url) as connection:
        for offset in range(0, count, chunk):
            n = min(chunk, count - offset)
            seqs = [
                r[0]
                for r in connection.execute(
                    "SELECT nextval(pg_get_serial_sequence('xapi_statements', 'seq')) FROM generate_series(1, %s)", (n,)
                )
            ]
            stored = datetime.now(UTC)
            stamp = stored.isoformat(timespec="microseconds").replace("+00:00", "Z")
            with (
                connection.cursor() as cursor,
                cursor.copy(
                    "COPY xapi_statements (seq, tenant_id, statement_id, document, stored, verb_id, registration,"
                    " voiding_target, statement_ref, voided, credential_id, handed_off, agent_keys, activity_keys)"
                    " FROM STDIN"
                ) as copy,
            ):
                for seq, statement in zip(seqs, maker.statements(n), strict=True):
                    statement_id = statement.get("id") or new_statement_id()
                    document = {
                        **statement,
                        "id": statement_id,
                        "authority": authority,
                        "stored": stamp,
                        "version": "1.0.0",
                    }
                    registration = statement.get("context", {}).get("registration")
                    copy.write_row(
                        (
                            seq,
                            tenant_id,
                            statement_id,
                            json.dumps(document),
                            stored,
                            statement["verb"]["id"],
                            registration,
                            None,
                            None,
                            False,
                            credential_id,
                            True,
                            agent_keys_of(document),
                            activity_keys_of(document),
                        )
                    )
            connection.commit()
            print(f"    preloaded {offset + n:,} of {count:,}", flush=True)
        # As after any bulk load: otherwise autovacuum visits the million new rows during the next load, and
        # its backend, connected to the same database, counts as the server's CPU.
        connection.autocommit = True
        connection.execute("VACUUM (ANALYZE)")
        # And its WAL flushed now: a store that grew to a million statements one request at a time had its
        # checkpoints along the way, not one for a million rows during the next measured load.
        connection.execute("CHECKPOINT")
    return time.perf_counter() - started


@dataclass
class Plan:
    """How much to send in each load."""

    batch_statements: int
    single_statements: int
    big_store_batch_statements: int
    big_store_single_statements: int
    preload: int
    clients: int
    workers: int
    threads: int
    ralph_batch_statements: int
    ralph_single_statements: int


def bench_sweetspot(plan: Plan, redis_url: str, keep_logs: Path) -> tuple[list[LoadResult], dict[str, Any]]:
    """Measure Sweetspot's production server on a fresh PostgreSQL database."""
    with _admin() as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        admin.execute(f"CREATE DATABASE {BENCH_DB}")
    database_url = f"{POSTGRES_URL}/{BENCH_DB}"
    data_dir = Path(tempfile.mkdtemp(prefix="sweetspot-bench-ingest-"))
    env = {
        **os.environ,
        "SWEETSPOT_DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
    }
    results: list[LoadResult] = []
    info: dict[str, Any] = {}
    server = None
    try:
        _run([str(SWEETSPOT), "db", "upgrade"], env)
        _run([str(SWEETSPOT), "tenant", "create", "bench", "--name", "Ingest benchmark"], env)
        issued = json.loads(
            _run(
                [
                    str(SWEETSPOT),
                    "xapi",
                    "credentials",
                    "create",
                    "--tenant",
                    "bench",
                    "--label",
                    "benchmark",
                    "--json",
                ],
                env,
                capture=True,
            )
        )
        with psycopg.connect(database_url) as connection:
            tenant_id, credential_id = connection.execute(
                "SELECT c.tenant_id, c.id FROM xapi_credentials c WHERE c.key = %s", (issued["key"],)
            ).fetchone()  # type: ignore[misc]
        command = [
            str(SWEETSPOT),
            "serve",
            "--port",
            str(SWEETSPOT_PORT),
            "--workers",
            str(plan.workers),
            "--threads",
            str(plan.threads),
            "--edge",
            "xapi",
        ]
        info["server_command"] = " ".join(["sweetspot", *command[1:]])
        log_file = open(keep_logs / "sweetspot-server.log", "wb")  # noqa: SIM115
        server = subprocess.Popen(command, env=env, stdout=log_file, stderr=subprocess.STDOUT)
        _wait_for_http(SWEETSPOT_PORT, "/readyz", server)
        headers = {
            "Authorization": _basic(issued["key"], issued["secret"]),
            "X-Experience-API-Version": "1.0.3",
            "Content-Type": "application/json",
        }
        maker = StatementMaker(1, datetime(2026, 1, 5, 8, tzinfo=UTC))

        def load(label: str, count: int, batch: int) -> None:
            if count <= 0:
                return
            statements = list(maker.statements(count))
            before = store_size(database_url)
            print(f"  sweetspot: {label}: {count:,} statements, batch {batch}, store at {before:,}", flush=True)
            result = run_load(
                "sweetspot",
                label,
                SWEETSPOT_PORT,
                "/xapi/statements",
                headers,
                statements,
                batch,
                plan.clients,
                before,
                CpuProbe(server.pid, BENCH_DB),
            )
            _report_line(result)
            results.append(result)

        # Warm up: workers import lazily and open their pools on first use.
        load("warm-up", 2_000, 1)
        load("single", plan.single_statements, 1)
        load("batch of 100", plan.batch_statements, 100)
        if plan.preload:
            print(f"  sweetspot: preloading {plan.preload:,} statements by COPY", flush=True)
            info["preload_seconds"] = round(preload(database_url, tenant_id, credential_id, plan.preload, seed=7), 1)
            load("single, big store", plan.big_store_single_statements, 1)
            load("batch of 100, big store", plan.big_store_batch_statements, 100)
        info["final_store"] = store_size(database_url)
        with psycopg.connect(database_url) as connection:
            row = connection.execute("SELECT pg_size_pretty(pg_database_size(current_database()))").fetchone()
            info["database_size"] = row[0] if row else "?"
    finally:
        if server is not None:
            _stop(server)
        _drop_queue(redis_url)
        with _admin() as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
        shutil.rmtree(data_dir, ignore_errors=True)
    return [r for r in results if r.label != "warm-up"], info


# --- Ralph -------------------------------------------------------------------------------------------


def ralph_venv() -> Path:
    """Ralph's own virtualenv outside the repository, made on first use."""
    python = RALPH_VENV / "bin" / "python"
    if (
        not python.exists()
        or subprocess.run(
            [str(python), "-c", "import ralph.cli, requests, fastapi, uvicorn"], capture_output=True
        ).returncode
        != 0
    ):
        print(f"  installing {' '.join(RALPH_PACKAGES)} into {RALPH_VENV}", flush=True)
        RALPH_VENV.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", str(RALPH_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", *RALPH_PACKAGES], check=True)
    return RALPH_VENV


def ralph_version(venv: Path) -> str:
    """The installed Ralph version."""
    out = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import importlib.metadata as m; print(m.version('ralph-malph'))"],
        check=True,
        text=True,
        capture_output=True,
    )
    return out.stdout.strip()


def bench_ralph(plan: Plan, keep_logs: Path, unpatched: bool = False) -> tuple[list[LoadResult], dict[str, Any]]:
    """Measure Ralph LRS on its file-system backend, started as its documentation deploys it."""
    venv = ralph_venv()
    app_dir = Path(tempfile.mkdtemp(prefix="ralph-bench-ingest-"))
    store_dir = app_dir / "fs"
    store_dir.mkdir()
    env = {
        **os.environ,
        "RALPH_APP_DIR": str(app_dir),
        "RALPH_AUTH_FILE": str(app_dir / "auth.json"),
        "RALPH_RUNSERVER_BACKEND": "fs",
        "RALPH_RUNSERVER_AUTH_BACKENDS": "basic",
        "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(store_dir),
        "RALPH_BACKENDS__DATA__FS__DEFAULT_DIRECTORY_PATH": str(store_dir),
    }
    secret = uuid.uuid4().hex
    subprocess.run(
        [
            str(venv / "bin" / "ralph"),
            "auth",
            "--write-to-disk",
            "--username",
            "bench",
            "--password",
            secret,
            "--scope",
            "statements/write",
            "--scope",
            "statements/read",
            "--agent-ifi-mbox",
            "mailto:bench@example.com",
        ],
        env=env,
        check=True,
        capture_output=True,
    )
    # Ralph's documented deployment is uvicorn with one worker on the fs backend (`ralph runserver` is the same
    # app under uvicorn's auto-reloader with debug logging). One setting is changed: Ralph's fs LRS backend
    # writes every POST with the "create" operation to one file, so every POST after the first fails with
    # 500 ("fs_lrs.jsonl already exists and overwrite is not allowed"); it is set to append, as an LRS must.
    # `--unpatched-ralph` measures it as shipped.
    operation = "CREATE" if unpatched else "APPEND"
    launcher = (
        "import uvicorn; from ralph.backends.data.base import BaseOperationType; "
        "from ralph.backends.lrs.fs import FSLRSBackend; "
        f"FSLRSBackend.default_operation_type = BaseOperationType.{operation}; "
        f"uvicorn.run('ralph.api:app', host='127.0.0.1', port={RALPH_PORT}, workers=1, log_level='warning',"
        " access_log=False)"
    )
    command = [str(venv / "bin" / "python"), "-c", launcher]
    info: dict[str, Any] = {
        "server_command": (
            f"RALPH_RUNSERVER_BACKEND=fs uvicorn ralph.api:app --workers 1 (fs LRS writes with {operation})"
        ),
        "version": ralph_version(venv),
    }
    results: list[LoadResult] = []
    log_file = open(keep_logs / "ralph-server.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(command, env=env, stdout=log_file, stderr=subprocess.STDOUT, cwd=app_dir)
    stored = 0
    try:
        _wait_for_http(RALPH_PORT, "/__heartbeat__", server)
        headers = {
            "Authorization": _basic("bench", secret),
            "X-Experience-API-Version": "1.0.3",
            "Content-Type": "application/json",
        }
        maker = StatementMaker(1, datetime(2026, 1, 5, 8, tzinfo=UTC))

        def load(label: str, count: int, batch: int) -> None:
            nonlocal stored
            if count <= 0:
                return
            statements = list(maker.statements(count))
            print(f"  ralph: {label}: {count:,} statements, batch {batch}, store at {stored:,}", flush=True)
            result = run_load(
                "ralph",
                label,
                RALPH_PORT,
                "/xAPI/statements/",
                headers,
                statements,
                batch,
                plan.clients,
                stored,
                CpuProbe(server.pid),
            )
            stored += count
            _report_line(result)
            results.append(result)

        load("warm-up", 200, 1)
        load("single", plan.ralph_single_statements, 1)
        load("batch of 100", plan.ralph_batch_statements, 100)
        info["final_store"] = stored
    finally:
        _stop(server)
        shutil.rmtree(app_dir, ignore_errors=True)
    return [r for r in results if r.label != "warm-up"], info


# --- reporting ---------------------------------------------------------------------------------------


def _report_line(result: LoadResult) -> None:
    print(
        f"    {result.statements_per_second:,.0f} statements/s, p50 {result.p50_ms} ms, p99 {result.p99_ms} ms,"
        f" server CPU {result.server_cpu_us_per_statement:,.0f} µs/statement"
        f" ({result.server_python_us_per_statement:,.0f} in the server's processes),"
        f" client CPU {result.client_cpu_share:.0%} of the machine, machine busy {result.machine_cpu_busy:.0%}"
        + (f", {len(result.errors)} ERRORS: {result.errors[:2]}" if result.errors else ""),
        flush=True,
    )


def _uptime() -> str:
    return subprocess.run(["uptime"], check=True, text=True, capture_output=True).stdout.strip()


def _database_share(result: dict[str, Any]) -> str:
    """The database's part of the server CPU per statement (none for Ralph; unknown in older results)."""
    if result["target"] != "sweetspot" or "server_python_us_per_statement" not in result:
        return "–"
    return f"{result['server_cpu_us_per_statement'] - result['server_python_us_per_statement']:,.0f}"


def write_markdown(path: Path, report: dict[str, Any]) -> None:
    """The human-readable results."""
    lines = [
        "# xAPI ingest: Sweetspot (PostgreSQL) against Ralph LRS (file system)",
        "",
        f"Run {report['finished_at']} with `{report['command']}` on {report['machine']}.",
        "",
        f"Load before: `{report['uptime_before']}`; after: `{report['uptime_after']}`.",
        "",
        "What the numbers mean, where the time goes and how Ralph was run:"
        " [docs/ingest-performance.md](../../docs/ingest-performance.md).",
        "",
        "| target | load | store at start | statements | requests | statements/s | p50 ms | p99 ms | max ms"
        " | server CPU µs/statement | of it in PostgreSQL | client CPU | machine busy |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in report["results"]:
        lines.append(
            f"| {r['target']} | {r['label']} | {r['store_before']:,} | {r['statements']:,} | {r['requests']:,} |"
            f" {r['statements_per_second']:,.0f} | {r['p50_ms']} | {r['p99_ms']} | {r['max_ms']} |"
            f" {r['server_cpu_us_per_statement']:,.0f} | {_database_share(r)} | {r['client_cpu_share']:.0%} |"
            f" {r['machine_cpu_busy']:.0%} |"
        )
    lines += ["", "## Throughput as the store fills (statements/s per tenth of each run)", ""]
    for r in report["results"]:
        cells = ", ".join(f"{s['statements_per_second']:,.0f}" for s in r["slices"])
        lines.append(
            f"- {r['target']}, {r['label']}"
            f" (store {r['store_before']:,} → {r['store_before'] + r['statements']:,}): {cells}"
        )
    lines += ["", "## Setup", ""]
    for key, value in report["setup"].items():
        lines.append(f"- {key}: {value}")
    lines.append("")
    path.write_text("\n".join(lines))


def rewrite_markdown(output: Path) -> None:
    """Write the Markdown again from the JSON of an earlier run (after a change to its layout)."""
    write_markdown(output.with_suffix(".md"), json.loads(output.with_suffix(".json").read_text()))


def main() -> None:
    """Parse arguments, run both benchmarks and write the results."""
    global POSTGRES_URL
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--statements", type=int, default=100_000, help="Statements in each batched load.")
    parser.add_argument("--single-statements", type=int, default=20_000, help="Statements sent one per request.")
    parser.add_argument(
        "--preload", type=int, default=1_000_000, help="Statements COPY'd in before the big-store loads."
    )
    parser.add_argument("--big-store-statements", type=int, default=50_000, help="Batched statements on the big store.")
    parser.add_argument(
        "--big-store-single-statements", type=int, default=10_000, help="Single statements on the big store."
    )
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers for Sweetspot (one per core).")
    parser.add_argument("--threads", type=int, default=4, help="Threads per gunicorn worker.")
    # Ralph's fs backend reads its whole file on every POST (to find known ids), so each request costs more as
    # its store grows; these counts keep its part of the run to a few minutes.
    parser.add_argument("--ralph-statements", type=int, default=20_000, help="Statements in Ralph's batched load.")
    parser.add_argument("--ralph-single-statements", type=int, default=2_000, help="Statements Ralph gets one by one.")
    parser.add_argument("--skip-ralph", action="store_true")
    parser.add_argument(
        "--unpatched-ralph",
        action="store_true",
        help="Leave Ralph's fs LRS backend writing with 'create' (it then fails).",
    )
    parser.add_argument("--skip-sweetspot", action="store_true")
    parser.add_argument(
        "--postgres-server",
        default=POSTGRES_URL,
        help="PostgreSQL server for Sweetspot (the benchmark creates and drops its own database there).",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/11", help="Redis for Sweetspot's job queue.")
    parser.add_argument("--quick", action="store_true", help="Small counts, for a smoke run.")
    parser.add_argument("--markdown-only", action="store_true", help="Rewrite the .md from the .json, run nothing.")
    parser.add_argument("--output", type=Path, default=RESULTS / "xapi-ingest", help="Results path without suffix.")
    args = parser.parse_args()
    POSTGRES_URL = args.postgres_server.rstrip("/")
    if args.markdown_only:
        rewrite_markdown(args.output)
        return
    if args.quick:
        args.statements = args.single_statements = args.ralph_statements = 5_000
        args.preload, args.big_store_statements, args.ralph_single_statements = 20_000, 2_000, 300
        args.big_store_single_statements = 1_000
    plan = Plan(
        batch_statements=args.statements,
        single_statements=args.single_statements,
        big_store_batch_statements=args.big_store_statements,
        big_store_single_statements=args.big_store_single_statements,
        preload=args.preload,
        clients=args.clients,
        workers=args.workers,
        threads=args.threads,
        ralph_batch_statements=args.ralph_statements,
        ralph_single_statements=args.ralph_single_statements,
    )
    logs = Path(tempfile.mkdtemp(prefix="bench-ingest-logs-"))
    uptime_before = _uptime()
    print(f"load before: {uptime_before}", flush=True)
    results: list[LoadResult] = []
    setup: dict[str, Any] = {}
    if not args.skip_sweetspot:
        sweetspot_results, info = bench_sweetspot(plan, args.redis_url, logs)
        results += sweetspot_results
        setup["Sweetspot server"] = (
            f"`{info.pop('server_command')}` (gunicorn gthread), PostgreSQL {POSTGRES_URL}, jobs on Redis"
        )
        setup["PostgreSQL settings"] = _postgres_settings()
        setup.update({f"Sweetspot {k}": v for k, v in info.items()})
    if not args.skip_ralph:
        ralph_results, info = bench_ralph(plan, logs, args.unpatched_ralph)
        results += ralph_results
        setup["Ralph server"] = f"`{info.pop('server_command')}`, ralph-malph {info.pop('version')}"
        setup.update({f"Ralph {k}": v for k, v in info.items()})
    setup["clients"] = (
        f"{plan.clients} processes, one keep-alive HTTP/1.1 connection each, bodies serialised in advance"
    )
    setup["server logs"] = str(logs)
    report = {
        "command": " ".join([".venv/bin/python", "benchmarks/xapi_ingest.py", *sys.argv[1:]]),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{os.cpu_count()} cores, {platform.platform()}, Python {platform.python_version()}",
        "uptime_before": uptime_before,
        "uptime_after": _uptime(),
        "setup": setup,
        "results": [asdict(r) for r in results],
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    write_markdown(args.output.with_suffix(".md"), report)
    print(f"results in {args.output.with_suffix('.md')}", flush=True)
    if any(r.errors for r in results):
        raise SystemExit("some requests failed: see the errors in the results")


if __name__ == "__main__":
    main()
