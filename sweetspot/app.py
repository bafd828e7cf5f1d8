"""The Flask app factory: one process serving both edges, or either edge alone."""

from __future__ import annotations

from collections.abc import Collection
from functools import partial
from typing import Literal

import structlog
from flask import Flask, Response

import lti_tool.web
import xapi_listener.web
from sweetspot import errors, health, home, request_context
from sweetspot.database import require_current_schema
from sweetspot.jobs import HandOffTrigger, build_jobs
from sweetspot.runtime import Runtime
from xapi_listener.alternate import AlternateRequestSyntax

log = structlog.get_logger(__name__)

Edge = Literal["lti", "xapi"]
ALL_EDGES: tuple[Edge, ...] = ("lti", "xapi")


def create_app(runtime: Runtime, edges: Collection[Edge] = ALL_EDGES) -> Flask:
    """Build the app serving `edges` on `runtime`; refuse if the database is behind its migrations."""
    require_current_schema(runtime.engine)
    app = Flask("sweetspot")
    app.config.update(
        SECRET_KEY=runtime.secret_key,
        MAX_CONTENT_LENGTH=runtime.xapi.max_body_bytes,
        # Pages live in the LMS's iframe, a third-party context: the session cookie must be
        # SameSite=None, which browsers accept only with Secure (localhost counts as secure).
        SESSION_COOKIE_SECURE=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="None",
    )
    app.extensions["sweetspot.runtime"] = runtime
    request_context.init_app(app)
    errors.init_app(app)
    app.after_request(_add_security_headers)
    app.register_blueprint(health.create_blueprint(runtime))
    if "lti" in edges:
        app.register_blueprint(home.create_blueprint())
        app.register_blueprint(lti_tool.web.create_blueprint(lambda: runtime.signing_keys))
    if "xapi" in edges:
        trigger = HandOffTrigger(build_jobs(runtime).hand_off)
        app.register_blueprint(
            xapi_listener.web.create_blueprint(runtime.unit_of_work, partial(_enqueue_hand_off, trigger))
        )
        app.wsgi_app = AlternateRequestSyntax(app.wsgi_app, "/xapi/", runtime.xapi.max_body_bytes)  # type: ignore[method-assign]
    return app


def _enqueue_hand_off(trigger: HandOffTrigger, tenant_id: int) -> None:
    # The statements are already committed; if the queue is down the periodic catch-up hands them off.
    try:
        trigger(tenant_id)
    except Exception:
        log.warning("could not enqueue the hand-off; the catch-up job will do it", tenant_id=tenant_id, exc_info=True)


def _add_security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    return response
