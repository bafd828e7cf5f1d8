"""The common write, `POST /xapi/statements` of new JSON statements, answered without the web framework.

Most requests an LRS gets are an LMS plugin or a content package posting one statement, or a batch, that is
valid and new, from a credential it used a moment ago. Flask's request context, hooks and response objects
cost more CPU than the statement's validation and its INSERT together, so this WSGI layer answers that one
case itself, with the same functions the Flask view uses: the strict JSON parser, `validate_statement`,
`prepare_statements` and the one autocommitted INSERT (`store.insert_at_once`, PostgreSQL only).

Everything else goes to the Flask app untouched, and so does any request this layer is unsure of: another
method, path or content type, a query string (the alternate request syntax), no version header or an
unknown version, a credential not in the cache or read-only, a body too large or without a length, JSON
that does not parse, a statement that fails validation, or an INSERT that stores nothing (an id already
stored, a revoked credential, voiding). The Flask view then does the whole request again and answers it,
errors included, so there is one place where errors are worded. Nothing is written before that hand-over:
the INSERT is the last step, and it either stores the whole batch or nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from io import BytesIO
from typing import Any

import structlog
from sqlalchemy.engine import Engine
from werkzeug.datastructures import Authorization
from werkzeug.wsgi import get_current_url

from alignment.database import utcnow
from alignment.errors import InvalidInput
from xapi_listener import strict_json
from xapi_listener.attachments import check_attachments
from xapi_listener.credentials import Credential, CredentialCache
from xapi_listener.statements import StatementError, validate_statement
from xapi_listener.store import insert_at_once, prepare_statements

log = structlog.get_logger("sweetspot.request")

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def negotiated_version(requested: str) -> str | None:
    """The version this LRS answers a request naming `requested` in: 1.0.3 or 2.0.0, or None if it speaks neither."""
    parts = requested.split(".")
    if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts) or parts[:2] not in (["1", "0"], ["2", "0"]):
        return None
    return "2.0.0" if parts[0] == "2" else "1.0.3"


def authority_of(credential: Credential, url_root: str) -> dict[str, Any]:
    """The authority the LRS sets on a statement sent without one: the credential that sent it."""
    return {
        "objectType": "Agent",
        "name": credential.label or credential.key,
        "account": {"homePage": url_root + "xapi/", "name": credential.key},
    }


def _url_root(environ: dict[str, Any]) -> str:
    """The URL the app is served at, as Flask's `request.url_root` says it (remembered: IRI decoding is slow)."""
    return _url_root_of(
        environ.get("wsgi.url_scheme", "http"),
        environ.get("HTTP_HOST"),
        environ.get("SERVER_NAME", ""),
        environ.get("SERVER_PORT", ""),
        environ.get("SCRIPT_NAME", ""),
    )


@lru_cache(maxsize=64)
def _url_root_of(scheme: str, host: str | None, server_name: str, server_port: str, script_name: str) -> str:
    environ = {"wsgi.url_scheme": scheme, "SERVER_NAME": server_name, "SERVER_PORT": server_port}
    environ["SCRIPT_NAME"] = script_name
    if host is not None:
        environ["HTTP_HOST"] = host
    return get_current_url(environ, root_only=True)


class DirectStatementWrites:
    """WSGI middleware in front of the Flask app that stores plain new statements itself (see the module)."""

    def __init__(
        self,
        app: WsgiApp,
        engine: Engine,
        credentials: CredentialCache,
        statements_stored: Callable[[int], None],
        max_body_bytes: int,
        response_headers: Mapping[str, str],
        request_id_for: Callable[[str], str],
    ) -> None:
        self.app = app
        """The app every request this layer does not answer goes to."""
        self._engine = engine
        self._credentials = credentials
        self._statements_stored = statements_stored
        self._max_body_bytes = max_body_bytes
        self._response_headers = list(response_headers.items())
        self._request_id_for = request_id_for

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if (
            environ.get("PATH_INFO") != "/xapi/statements"
            or environ.get("REQUEST_METHOD") != "POST"
            or environ.get("QUERY_STRING")
            or environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower() != "application/json"
        ):
            return self.app(environ, start_response)
        started = time.perf_counter()
        version = negotiated_version(environ.get("HTTP_X_EXPERIENCE_API_VERSION", ""))
        credential = self._credential(environ.get("HTTP_AUTHORIZATION", ""))
        length = environ.get("CONTENT_LENGTH", "")
        if (
            version is None
            or credential is None
            or credential.read_only
            or not length.isdigit()
            or int(length) > self._max_body_bytes
        ):
            return self.app(environ, start_response)
        raw = environ["wsgi.input"].read(int(length))
        ids = self._store(raw, version, credential, environ)
        if ids is None:
            return self.app({**environ, "wsgi.input": BytesIO(raw)}, start_response)
        self._statements_stored(credential.tenant_id)
        body = json.dumps(ids, separators=(",", ":")).encode()
        request_id = self._request_id_for(environ.get("HTTP_X_REQUEST_ID", ""))
        start_response(
            "200 OK",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                ("X-Experience-API-Version", version),
                ("X-Request-ID", request_id),
                *self._response_headers,
            ],
        )
        log.info(
            "request",
            method="POST",
            path="/xapi/statements",
            status=200,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
            request_id=request_id,
            tenant_id=credential.tenant_id,
            credential=credential.key,
        )
        return [body]

    def _credential(self, header: str) -> Credential | None:
        auth = Authorization.from_header(header)
        if auth is None or auth.type != "basic" or not auth.username or auth.password is None:
            return None
        return self._credentials.get(auth.username, auth.password)

    def _store(self, raw: bytes, version: str, credential: Credential, environ: dict[str, Any]) -> list[str] | None:
        try:
            body = strict_json.loads(raw)
            batch = body if isinstance(body, list) else [body]
            if not batch:
                return None
            for statement in batch:
                validate_statement(statement, version)
            check_attachments(batch, {})
            prepared = prepare_statements(
                batch,
                stored=utcnow(),
                authority=authority_of(credential, _url_root(environ)),
                version="2.0.0" if version == "2.0.0" else "1.0.0",
                reject_repeated_ids=version == "2.0.0",
            )
        except (ValueError, RecursionError, StatementError, InvalidInput):
            return None
        accepted = insert_at_once(self._engine, credential.tenant_id, prepared, credential.id)
        return list(accepted.ids) if accepted is not None else None
