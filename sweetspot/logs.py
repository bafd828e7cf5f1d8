"""Structured logs: one JSON object per line, each request's lines carrying its request id."""

from __future__ import annotations

import logging
import logging.config
from typing import Any

import structlog

SHARED_PROCESSORS: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_logger_name,
    structlog.stdlib.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def logging_config(level: str, fmt: str) -> dict[str, Any]:
    """A `logging.config.dictConfig` document routing every logger (gunicorn's too) through structlog."""
    renderer = structlog.processors.JSONRenderer() if fmt == "json" else structlog.dev.ConsoleRenderer(colors=False)
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "foreign_pre_chain": SHARED_PROCESSORS,
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.format_exc_info,
                    renderer,
                ],
            }
        },
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "structured",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "gunicorn.error": {"handlers": [], "propagate": True},
            # Sweetspot logs each request itself, with its request id (sweetspot.request_context).
            "gunicorn.access": {"handlers": [], "propagate": False},
            "alembic": {"level": "WARNING"},
            "huey": {"level": "INFO" if level == "DEBUG" else "WARNING"},
        },
    }


def configure_logging(level: str, fmt: str) -> None:
    """Set up structlog and the standard library logging for this process."""
    # No log line shows the thread or process names the standard library would look up for every record
    # (https://docs.python.org/3/howto/logging.html#optimization).
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    structlog.configure(
        processors=[*SHARED_PROCESSORS, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    logging.config.dictConfig(logging_config(level, fmt))
