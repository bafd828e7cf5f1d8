"""WSGI entry points for gunicorn and other servers, e.g. `gunicorn 'sweetspot.wsgi:xapi_app()'`.

Each builds its app when called, never at import, with settings from the environment.
"""

from __future__ import annotations

from flask import Flask

from sweetspot.app import ALL_EDGES, Edge, create_app
from sweetspot.logs import configure_logging
from sweetspot.runtime import bootstrap
from sweetspot.settings import Settings


def _build(edges: tuple[Edge, ...]) -> Flask:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(bootstrap(settings), edges)


def app() -> Flask:
    """Both edges in one process: the LTI tool with its pages, and the xAPI listener."""
    return _build(ALL_EDGES)


def lti_app() -> Flask:
    """The LTI tool and its pages alone."""
    return _build(("lti",))


def xapi_app() -> Flask:
    """The xAPI listener alone, to scale the ingest tier apart from the pages."""
    return _build(("xapi",))
