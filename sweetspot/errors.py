"""The one place where errors become HTTP responses: JSON on API routes, an HTML page elsewhere."""

from __future__ import annotations

import structlog
from flask import Flask, Response, g, jsonify, make_response, render_template, request
from flask_babel import gettext, lazy_gettext
from flask_babel.speaklater import LazyString
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.http import HTTP_STATUS_CODES

from alignment.errors import Conflict, DomainError, InvalidInput
from alignment.errors import NotFound as DomainNotFound
from lti_tool import wording

log = structlog.get_logger(__name__)

API_PREFIXES = ("/xapi/", "/api/")
DOMAIN_STATUS: dict[type[DomainError], int] = {InvalidInput: 400, DomainNotFound: 404, Conflict: 409}
# Pages show these statuses' names in the visitor's language; API answers keep Werkzeug's English names.
PAGE_TITLES: dict[int, LazyString] = {
    400: lazy_gettext("Bad Request"),
    401: lazy_gettext("Unauthorized"),
    403: lazy_gettext("Forbidden"),
    404: lazy_gettext("Not Found"),
    405: lazy_gettext("Method Not Allowed"),
    409: lazy_gettext("Conflict"),
    413: lazy_gettext("Request Entity Too Large"),
    500: lazy_gettext("Internal Server Error"),
}
# Library descriptions a visitor can meet on a page, in their language (APIs keep the English).
PAGE_DESCRIPTIONS: dict[str, LazyString] = {
    NotFound.description or "": lazy_gettext("There is no page at this address. Check the link you followed."),
    MethodNotAllowed.description or "": lazy_gettext("This page does not take that kind of request."),
    # Flask-WTF's reasons for refusing a form (flask_wtf/csrf.py); an expired page is the common one.
    "The CSRF token is missing.": lazy_gettext("The form's CSRF token is missing. Reload the page and try again."),
    "The CSRF session token is missing.": lazy_gettext(
        "Your session has ended (its CSRF token is missing). Open Sweetspot again from your course."
    ),
    "The CSRF token has expired.": lazy_gettext("The form's CSRF token has expired. Reload the page and try again."),
    "The CSRF token is invalid.": lazy_gettext("The form's CSRF token is not valid. Reload the page and try again."),
    "The CSRF tokens do not match.": lazy_gettext(
        "The form's CSRF token does not match your session. Reload the page and try again."
    ),
}


def init_app(app: Flask) -> None:
    """Register the error handlers."""
    app.register_error_handler(HTTPException, _handle_http_error)
    app.register_error_handler(DomainError, _handle_domain_error)
    app.register_error_handler(Exception, _handle_unexpected_error)


def _wants_json() -> bool:
    path = request.path if request.path.endswith("/") else request.path + "/"
    if path.startswith(API_PREFIXES):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _respond(status: int, title: str, message: str) -> Response:
    request_id = g.get("request_id", "")
    if _wants_json():
        body = {"error": title, "message": message, "request_id": request_id}
        return make_response(jsonify(body), status)
    if title == HTTP_STATUS_CODES.get(status) and status in PAGE_TITLES:
        title = str(PAGE_TITLES[status])
    if message in PAGE_DESCRIPTIONS:
        message = str(PAGE_DESCRIPTIONS[message])
    page = render_template("error.html", status=status, title=title, message=message, request_id=request_id)
    return make_response(page, status)


def _handle_http_error(error: HTTPException) -> Response:
    response = _respond(error.code or 500, error.name, error.description or error.name)
    # Keep the headers the status needs, such as Allow on 405 and WWW-Authenticate on 401.
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def _handle_domain_error(error: DomainError) -> Response:
    status = next((code for kind, code in DOMAIN_STATUS.items() if isinstance(error, kind)), 400)
    if _wants_json():
        return _respond(status, type(error).__name__, str(error))
    # A page says what was wrong in the visitor's language, under the status's name.
    return _respond(status, HTTP_STATUS_CODES[status], wording.say(error.message))


def _handle_unexpected_error(error: Exception) -> Response:
    log.exception("unhandled error", error_type=type(error).__name__)
    return _respond(
        500,
        "Internal Server Error",
        gettext("Something went wrong on our side. It has been logged; quote the request id if you report it."),
    )
