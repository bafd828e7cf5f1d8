"""The alternate request syntax of xAPI 1.0.3 (Part Three §1.3), for clients that can only send POST.

Such a client POSTs to a resource with `?method=PUT` (or GET, POST, DELETE) as the only query
parameter and a form body that carries the headers, the resource's parameters and the request body
as `content`. This WSGI middleware turns that back into the request it stands for. xAPI 2.0 removed
the syntax, so it is refused there.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, urlencode

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

HEADERS = {
    "authorization": "HTTP_AUTHORIZATION",
    "x-experience-api-version": "HTTP_X_EXPERIENCE_API_VERSION",
    "content-type": "CONTENT_TYPE",
    "content-length": "CONTENT_LENGTH",
    "if-match": "HTTP_IF_MATCH",
    "if-none-match": "HTTP_IF_NONE_MATCH",
}
METHODS = ("GET", "PUT", "POST", "DELETE", "HEAD")


class AlternateRequestSyntax:
    """Rewrites `POST …?method=X` form requests under `prefix` into the requests they stand for."""

    def __init__(self, app: WsgiApp, prefix: str, max_body_bytes: int) -> None:
        self._app = app
        self._prefix = prefix
        self._max_body_bytes = max_body_bytes

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Pass ordinary requests through; translate alternate-syntax ones or refuse them with 400."""
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        if environ.get("REQUEST_METHOD") != "POST" or "method" not in query:
            return self._app(environ, start_response)
        if not environ.get("PATH_INFO", "").startswith(self._prefix):
            return self._app(environ, start_response)
        try:
            rewritten = self._rewrite(environ, query)
        except ValueError as error:
            return _bad_request(str(error), start_response)
        return self._app(rewritten, start_response)

    def _rewrite(self, environ: dict[str, Any], query: dict[str, list[str]]) -> dict[str, Any]:
        if set(query) != {"method"}:
            raise ValueError("the alternate request syntax takes only `method` in the query string")
        method = query["method"][0].upper()
        if method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, got {query['method'][0]!r}")
        content_type = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            raise ValueError("the alternate request syntax needs Content-Type: application/x-www-form-urlencoded")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > self._max_body_bytes:
            raise ValueError("the request body is too large")
        raw = environ["wsgi.input"].read(length).decode("utf-8", errors="strict")
        form = parse_qs(raw, keep_blank_values=True, strict_parsing=bool(raw))
        # Headers may come as real headers or as form fields; the form's win (§1.3 s3.b7).
        rewritten = dict(environ)
        rewritten.pop("CONTENT_TYPE", None)
        parameters: dict[str, str] = {}
        for name, values in form.items():
            key = HEADERS.get(name.lower())
            if key is not None:
                rewritten[key] = values[0]
            elif name != "content":
                parameters[name] = values[0]
        version = rewritten.get("HTTP_X_EXPERIENCE_API_VERSION", "")
        if version.startswith("2."):
            raise ValueError("the alternate request syntax was removed in xAPI 2.0")
        content = form.get("content", [""])[0].encode()
        if method in ("PUT", "POST") and "content" not in form:
            raise ValueError(f"a {method} in the alternate request syntax needs a `content` form parameter")
        rewritten.update(
            REQUEST_METHOD=method,
            QUERY_STRING=urlencode(parameters),
            CONTENT_LENGTH=str(len(content)),
        )
        rewritten.setdefault("CONTENT_TYPE", "application/json")
        if rewritten["CONTENT_TYPE"].lower().startswith("application/x-www-form-urlencoded"):
            rewritten["CONTENT_TYPE"] = "application/json"
        rewritten["wsgi.input"] = io.BytesIO(content)
        return rewritten


def _bad_request(message: str, start_response: Callable[..., Any]) -> Iterable[bytes]:
    body = json.dumps({"error": "Bad Request", "message": message}).encode()
    start_response(
        "400 BAD REQUEST",
        [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("X-Experience-API-Version", "1.0.3"),
        ],
    )
    return [body]
