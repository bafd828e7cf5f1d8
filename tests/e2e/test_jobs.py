"""Jobs run in-process on the embedded default, and in separate worker processes on Redis."""

import json
import os
import signal
from pathlib import Path

import pytest
import redis

from sweetspot.jobs import build_jobs
from sweetspot.runtime import bootstrap
from tests.conftest import IN_CI, REDIS_URL, make_settings
from tests.e2e.conftest import Launcher


@pytest.fixture
def redis_url() -> str:
    """A reachable, empty Redis database; skipped when there is none, except under CI."""
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        if IN_CI:
            raise
        pytest.skip(f"no Redis at {REDIS_URL}")
    client.flushdb()
    client.close()
    return REDIS_URL


def parent_of(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("PPid:")).split()[1])


def ping(launcher: Launcher) -> int:
    result = launcher.run("jobs", "ping", "--timeout", "20")
    assert result.returncode == 0, result.stderr
    pid: int = json.loads(result.stdout)["worker_pid"]
    return pid


def test_embedded_server_consumes_jobs_in_one_of_its_workers(launcher: Launcher) -> None:
    server, _ = launcher.serve()
    assert parent_of(ping(launcher)) == server.popen.pid


def test_another_worker_takes_over_the_jobs_when_the_consumer_dies(launcher: Launcher) -> None:
    server, _ = launcher.serve("--workers", "2")
    first = ping(launcher)
    os.kill(first, signal.SIGKILL)
    second = ping(launcher)
    assert second != first
    assert parent_of(second) == server.popen.pid


def test_ping_without_a_consumer_says_what_to_start(launcher: Launcher) -> None:
    result = launcher.run("jobs", "ping", "--timeout", "0.5")
    assert result.returncode == 1
    assert "sweetspot worker" in result.stderr


def test_job_enqueued_on_redis_runs_in_a_separate_worker_process(launcher: Launcher, redis_url: str) -> None:
    worker = launcher.start("worker", REDIS_URL=redis_url)
    runtime = bootstrap(make_settings(launcher.data_dir, launcher.database_url, redis_url))
    jobs = build_jobs(runtime)
    assert type(jobs.queue).__name__ == "RedisHuey"
    answer = jobs.ping("from the test").get(blocking=True, timeout=20)
    runtime.close()
    assert answer["worker_pid"] == worker.popen.pid
    assert answer["worker_pid"] != os.getpid()
    # Asked to stop, it stops: cleanly, or (when SIGTERM lands mid-shutdown under load) by that signal.
    assert worker.stop() in (0, -signal.SIGTERM)


def test_server_with_redis_leaves_jobs_to_workers(launcher: Launcher, redis_url: str) -> None:
    launcher.serve(REDIS_URL=redis_url)
    unanswered = launcher.run("jobs", "ping", "--timeout", "1", REDIS_URL=redis_url)
    assert unanswered.returncode == 1
    worker = launcher.start("worker", REDIS_URL=redis_url)
    answered = launcher.run("jobs", "ping", "--timeout", "20", REDIS_URL=redis_url)
    assert answered.returncode == 0, answered.stderr
    assert json.loads(answered.stdout)["worker_pid"] == worker.popen.pid
