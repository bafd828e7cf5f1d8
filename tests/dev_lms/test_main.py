"""`python -m dev_lms` serves a platform on its own, seeded with the demo cast."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_module_serves_a_seeded_platform_until_interrupted(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "dev_lms", "--directory", str(tmp_path / "lms"), "--port", str(port), "--seed-demo"],
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                configuration = requests.get(base + "/.well-known/openid-configuration", timeout=2).json()
                break
            except requests.ConnectionError:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline, "the development LMS did not start"
                time.sleep(0.2)
        assert configuration["issuer"] == base
        course = requests.get(base + "/courses/1", timeout=10).text
        assert "Engineering team: growing together" in course
        assert "Ines Admin" in course
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0
    assert f"Development LMS on {base}" in stderr
    assert (tmp_path / "lms" / "dev-lms.db").exists()
