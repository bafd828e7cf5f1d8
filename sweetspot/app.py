"""The Flask app factory: one process serving both edges, or either edge alone."""

from __future__ import annotations

from collections.abc import Collection
from functools import partial
from typing import Literal

import structlog
from flask import Flask, Response, current_app
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

import lti_tool.frame_session
import lti_tool.pages
import lti_tool.web
import xapi_listener.web
from lti_tool.admission import Visitor
from sweetspot import admin, errors, health, home, languages, request_context
from sweetspot.database import require_current_schema
from sweetspot.jobs import HandOffTrigger, Jobs, build_jobs
from sweetspot.runtime import Runtime
from xapi_listener.alternate import AlternateRequestSyntax
from xapi_listener.credentials import CredentialCache
from xapi_listener.direct import DirectStatementWrites

log = structlog.get_logger(__name__)

API_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "strict-origin-when-cross-origin"}
"""Security headers on every response; pages add their Content-Security-Policy."""

Edge = Literal["lti", "xapi"]
ALL_EDGES: tuple[Edge, ...] = ("lti", "xapi")


def create_app(runtime: Runtime, edges: Collection[Edge] = ALL_EDGES) -> Flask:
    """Build the app serving `edges` on `runtime`; refuse if the database is behind its migrations."""
    require_current_schema(runtime.engine)
    app = Flask("sweetspot")
    app.config.update(
        SECRET_KEY=runtime.secret_key,
        MAX_CONTENT_LENGTH=runtime.xapi.max_body_bytes,
        SESSION_COOKIE_HTTPONLY=True,
    )
    lti_tool.frame_session.init_app(app)
    app.extensions["sweetspot.runtime"] = runtime
    request_context.init_app(app)
    languages.init_app(app)
    errors.init_app(app)
    app.after_request(_add_security_headers)
    csrf = CSRFProtect(app)
    app.register_blueprint(health.create_blueprint(runtime))
    jobs = build_jobs(runtime)
    if "lti" in edges:
        app.register_blueprint(home.create_blueprint())
        protocol = lti_tool.web.create_blueprint(
            runtime.unit_of_work,
            runtime.keys,
            runtime.lti,
            runtime.secret_key,
            on_manager_launch=partial(_enqueue_roster_sync, jobs),
        )
        csrf.exempt(protocol)  # platforms POST here; the OIDC state and nonce protect these requests
        app.register_blueprint(protocol)
        app.register_blueprint(lti_tool.pages.create_blueprint(runtime.unit_of_work, runtime.keys))
        app.register_blueprint(
            admin.create_blueprint(
                runtime.unit_of_work, runtime.connection_cipher, jobs.push_scores, jobs.policy_preview
            )
        )
    if "xapi" in edges:
        stored = partial(_enqueue_hand_off, HandOffTrigger(jobs.hand_off))
        credentials = CredentialCache()
        listener = xapi_listener.web.create_blueprint(
            runtime.unit_of_work, stored, runtime.autocommit_engine, credentials
        )
        csrf.exempt(listener)  # an API authenticated by HTTP Basic, not a browser session
        app.register_blueprint(listener)
        app.wsgi_app = AlternateRequestSyntax(app.wsgi_app, "/xapi/", runtime.xapi.max_body_bytes)  # type: ignore[method-assign]
        if runtime.autocommit_engine is not None:
            app.wsgi_app = DirectStatementWrites(  # type: ignore[method-assign]
                app.wsgi_app, runtime.autocommit_engine, credentials, stored, runtime.xapi.max_body_bytes,
                API_HEADERS, request_context.request_id_for,
            )  # fmt: skip
    if runtime.settings.trusted_proxies:
        # Outermost, so every layer sees the client's scheme and host.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=runtime.settings.trusted_proxies,
            x_proto=runtime.settings.trusted_proxies,
            x_host=runtime.settings.trusted_proxies,
        )
    return app


def _enqueue_hand_off(trigger: HandOffTrigger, tenant_id: int) -> None:
    # The statements are already committed; if the queue is down the periodic catch-up hands them off.
    try:
        trigger(tenant_id)
    except Exception:
        log.warning("could not enqueue the hand-off; the catch-up job will do it", tenant_id=tenant_id, exc_info=True)


def _enqueue_roster_sync(jobs: Jobs, visitor: Visitor) -> None:
    # The launch has been recorded; if the queue is down the hourly roster job syncs the context.
    try:
        jobs.sync_roster(visitor.registration_id, visitor.context_id)
    except Exception:
        log.warning("could not enqueue the roster sync", context_id=visitor.context_id, exc_info=True)


def _add_security_headers(response: Response) -> Response:
    for name, value in API_HEADERS.items():
        response.headers.setdefault(name, value)
    if response.mimetype == "text/html":
        # Only the platform that launched this visitor may frame the pages or receive their forms.
        visitor = lti_tool.web.current_visitor() if "lti" in current_app.blueprints else None
        platforms = " ".join(visitor.frame_origins) if visitor else ""
        policy = (
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
            f"base-uri 'none'; form-action 'self' {platforms}".rstrip()
        )
        if visitor:
            policy += f"; frame-ancestors 'self' {platforms}".rstrip()
        response.headers.setdefault("Content-Security-Policy", policy)
    return response
