"""Serving with gunicorn: stateless web workers, plus the embedded job consumer when there is no Redis.

Without Redis, exactly one web worker at a time also consumes the embedded SQLite queue, in
background threads: each worker waits on an exclusive lock file in the data directory, and the one
holding it consumes. If that worker dies, the operating system frees the lock and another worker
takes over. The consumer never runs in the master, because SQLite connections must not be open in a
process that forks (https://www.sqlite.org/howtocorrupt.html §2.6).
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog
from flask import Flask
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger
from huey.consumer import Consumer

from sweetspot.jobs import build_jobs, start_embedded_consumer
from sweetspot.logs import logging_config
from sweetspot.runtime import bootstrap
from sweetspot.settings import Settings

log = structlog.get_logger(__name__)

CONSUMER_LOCK_FILE = "consumer.lock"


@dataclass(frozen=True)
class ServeOptions:
    """How to listen and how many processes to run."""

    host: str
    port: int
    workers: int
    threads: int = 4


class EmbeddedJobs:
    """In one worker process: wait for the consumer lock, then consume the embedded queue until exit."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._consumer: Consumer | None = None
        self._stopping = threading.Event()

    def start_waiting(self) -> None:
        """Wait for the lock in a daemon thread, so the worker serves requests meanwhile."""
        threading.Thread(target=self._wait_and_consume, name="embedded-jobs", daemon=True).start()

    def _wait_and_consume(self) -> None:
        path = self._settings.data_dir.resolve() / CONSUMER_LOCK_FILE
        fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)  # held until this process exits; the fd stays open on purpose
        if self._stopping.is_set():
            return
        self._consumer = start_embedded_consumer(build_jobs(bootstrap(self._settings)).queue)
        log.info("this worker consumes the embedded job queue", pid=os.getpid())

    def stop(self) -> None:
        """Finish the running jobs and stop consuming."""
        self._stopping.set()
        if self._consumer is not None:
            self._consumer.stop(graceful=True)


class QuietAccessLogger(Logger):
    """gunicorn's logger without its access log: Sweetspot logs each request itself, with its request id.

    gunicorn formats the access line's fields for every request whenever a logging configuration is given,
    even with no handler to print them; skipping that saves CPU on every request.
    """

    def access(self, resp: Any, req: Any, environ: Any, request_time: Any) -> None:
        """Log nothing."""
        return None


class SweetspotServer(BaseApplication):
    """gunicorn, configured in code; each worker builds its own app after the fork."""

    def __init__(self, settings: Settings, options: ServeOptions, app_factory: Callable[[], Flask]) -> None:
        self._settings = settings
        self._options = options
        self._app_factory = app_factory
        self._jobs: EmbeddedJobs | None = None
        super().__init__()

    def load_config(self) -> None:
        """Apply the options; log through structlog like the rest of Sweetspot."""
        config = {
            "bind": f"{self._options.host}:{self._options.port}",
            "workers": self._options.workers,
            "worker_class": "gthread",
            "threads": self._options.threads,
            # One control socket per user would clash between servers of several data directories.
            "control_socket_disable": True,
            # Cookie-less sessions travel in the URL (lti_tool/frame_session.py): allow gunicorn's longest line.
            "limit_request_line": 8190,
            "logconfig_dict": logging_config(self._settings.log_level, self._settings.log_format),
            "logger_class": QuietAccessLogger,
            "post_worker_init": self._post_worker_init,
            "worker_exit": self._worker_exit,
        }
        for key, value in config.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        """Build the app inside a worker process."""
        return self._app_factory()

    def _post_worker_init(self, _worker: Any) -> None:
        if self._settings.redis_url is None:
            self._jobs = EmbeddedJobs(self._settings)
            self._jobs.start_waiting()

    def _worker_exit(self, _server: Any, _worker: Any) -> None:
        if self._jobs is not None:
            self._jobs.stop()


def serve(settings: Settings, options: ServeOptions, app_factory: Callable[[], Flask]) -> None:
    """Run gunicorn in the foreground until it is stopped."""
    SweetspotServer(settings, options, app_factory).run()
