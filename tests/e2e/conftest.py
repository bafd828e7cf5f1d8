"""Real `sweetspot` processes on free ports, talked to over HTTP like a load balancer or LMS would."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

SWEETSPOT = str(Path(sys.executable).with_name("sweetspot"))


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def free_port_pair() -> int:
    """A port P such that P and P + 1 are both free right now (the demo serves its LMS on P + 1)."""
    for _ in range(100):
        port = free_port()
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two neighbouring free ports")


class Process:
    """A `sweetspot` command running in the background, its output kept in a file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._file = log.open("wb")
        # A session of its own, so stopping it also stops every worker it forked.
        self.popen = subprocess.Popen(
            [SWEETSPOT, *args], env=env, stdout=self._file, stderr=subprocess.STDOUT, start_new_session=True
        )

    @property
    def output(self) -> str:
        """Everything the process printed so far."""
        return self.log.read_text(errors="replace")

    def stop(self) -> int:
        """Stop gracefully (SIGTERM) and return the exit status; anything it left behind is killed."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self.kill_group()
        self._file.close()
        return self.popen.returncode

    def kill_group(self) -> None:
        """SIGKILL the process and everything it started, as a power cut would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)


class Launcher:
    """Starts `sweetspot` processes for one test and stops them all afterwards."""

    def __init__(self, data_dir: Path, database_url: str, logs: Path) -> None:
        self.data_dir = data_dir
        self.database_url = database_url
        self._logs = logs
        self._running: list[Process] = []

    def env(self, **extra: str) -> dict[str, str]:
        """The environment a process gets: this test's data directory and database."""
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("SWEETSPOT_") and key not in ("DATABASE_URL", "REDIS_URL")
        }
        env.update(SWEETSPOT_DATA_DIR=str(self.data_dir), DATABASE_URL=self.database_url)
        env.update(extra)
        return env

    def start(self, *args: str, **extra_env: str) -> Process:
        """Start `sweetspot ARGS…` in the background."""
        log = self._logs / f"{len(self._running)}-{args[0]}.log"
        process = Process(list(args), self.env(**extra_env), log)
        self._running.append(process)
        return process

    def serve(self, *args: str, **extra_env: str) -> tuple[Process, str]:
        """Start `sweetspot serve` on a free port and wait until it answers `/healthz`."""
        port = free_port()
        process = self.start("serve", "--port", str(port), "--workers", "1", *args, **extra_env)
        base = f"http://127.0.0.1:{port}"
        wait_until_up(process, base)
        return process, base

    def run(self, *args: str, **extra_env: str) -> subprocess.CompletedProcess[str]:
        """Run `sweetspot ARGS…` to completion."""
        return subprocess.run([SWEETSPOT, *args], env=self.env(**extra_env), capture_output=True, text=True, timeout=60)

    def stop_all(self) -> None:
        """Stop every process this launcher started."""
        for process in self._running:
            process.stop()


def wait_until_up(process: Process, base: str, timeout: float = 30.0) -> None:
    """Poll `/healthz` until it answers, failing early if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            pytest.fail(f"server exited with {process.popen.returncode}:\n{process.output}")
        try:
            if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    pytest.fail(f"server did not answer within {timeout} s:\n{process.output}")


@pytest.fixture
def launcher(tmp_path: Path, database_url: str, runtime: object) -> Iterator[Launcher]:
    """Processes on this test's own data directory and the run's migrated database."""
    assert shutil.which(SWEETSPOT), f"{SWEETSPOT} is not installed"
    launched = Launcher(tmp_path / "instance", database_url, tmp_path)
    yield launched
    launched.stop_all()
