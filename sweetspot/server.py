"""Serving with gunicorn: stateless web workers, plus the embedded job consumer when there is no Redis."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication
from huey.consumer import Consumer

from sweetspot.jobs import build_jobs, start_embedded_consumer
from sweetspot.logs import logging_config
from sweetspot.runtime import bootstrap
from sweetspot.settings import Settings


@dataclass(frozen=True)
class ServeOptions:
    """How to listen and how many processes to run."""

    host: str
    port: int
    workers: int
    threads: int = 4


class SweetspotServer(BaseApplication):
    """gunicorn, configured in code; each worker builds its own app after the fork."""

    def __init__(self, settings: Settings, options: ServeOptions, app_factory: Callable[[], Flask]) -> None:
        self._settings = settings
        self._options = options
        self._app_factory = app_factory
        self._consumer: Consumer | None = None
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
            "logconfig_dict": logging_config(self._settings.log_level, self._settings.log_format),
            "when_ready": self._when_ready,
            "on_exit": self._on_exit,
        }
        for key, value in config.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        """Build the app inside a worker process."""
        return self._app_factory()

    def _when_ready(self, _arbiter: Any) -> None:
        # Without Redis the master process consumes the embedded SQLite queue itself, so one
        # consumer runs however many web workers there are.
        if self._settings.redis_url is None:
            self._consumer = start_embedded_consumer(build_jobs(bootstrap(self._settings)).queue)

    def _on_exit(self, _arbiter: Any) -> None:
        if self._consumer is not None:
            self._consumer.stop(graceful=True)


def serve(settings: Settings, options: ServeOptions, app_factory: Callable[[], Flask]) -> None:
    """Run gunicorn in the foreground until it is stopped."""
    SweetspotServer(settings, options, app_factory).run()
