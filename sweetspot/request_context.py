"""A request id for every request, echoed in `X-Request-ID` and bound to every log line it causes."""

from __future__ import annotations

import re
import time
import uuid

import structlog
from flask import Flask, Response, g, request

log = structlog.get_logger("sweetspot.request")

# An id from the load balancer is reused only if it is short and plain, so it is safe in logs.
ACCEPTABLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,128}$")


def init_app(app: Flask) -> None:
    """Register the request id and access log hooks."""
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_forget)


def request_id_for(offered: str) -> str:
    """The id of a request: the one the load balancer offered in X-Request-ID if acceptable, else a new one."""
    return offered if ACCEPTABLE_REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex


def _start() -> None:
    g.request_id = request_id_for(request.headers.get("X-Request-ID", ""))
    g.started = time.perf_counter()
    structlog.contextvars.bind_contextvars(request_id=g.request_id)


def _finish(response: Response) -> Response:
    response.headers["X-Request-ID"] = g.get("request_id", "")
    log.info(
        "request",
        method=request.method,
        path=request.path,
        status=response.status_code,
        duration_ms=round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 2),
    )
    return response


def _forget(_error: BaseException | None) -> None:
    structlog.contextvars.clear_contextvars()
