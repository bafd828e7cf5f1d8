"""The session of the pages inside the LMS frame: a cookie where the browser keeps one, else a signed token.

After a launch bound through the platform's storage (the browser keeps no cookies in the LMS's frame),
the session travels in the pages themselves: every link and form Sweetspot renders for the `pages`
and `admin` endpoints carries `ss=<token>` in its URL. The token is the session (the visitor of that
launch, the CSRF secret, the flashed messages), signed with the app's secret key and timestamped:

- it is bound to its launch: it carries that launch's visitor and when the launch happened, and it is
  refused after `LIFETIME_SECONDS` from the launch whatever happens;
- it is short-lived: each page re-issues it, and one not used for `IDLE_SECONDS` is refused;
- it is accepted only in a frame (`Sec-Fetch-Dest: iframe`, when the browser says), and the pages say
  in their CSP `frame-ancestors` that only the launching platform may frame them, so a leaked link
  opened in a tab or framed by another site is no session;
- it does not leak through `Referer`: token pages send `Referrer-Policy: same-origin` (links to the LMS
  or to an opportunity's site carry no referrer at all) and `Cache-Control: no-store`; Sweetspot's request
  logs record the path without the query;
- forms stay protected against CSRF: the token holds Flask-WTF's CSRF secret, every POST still needs its
  signed CSRF field, and an attacker without the token has no session to ride on.

It cannot be revoked before it expires (there is no server-side record of it); a new launch makes a new one.
Sessions that arrived by cookie keep using the cookie, as before.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from flask import Flask, Request, Response, current_app, g, has_request_context, request, session
from flask.json.tag import TaggedJSONSerializer
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from flask_wtf.csrf import generate_csrf
from itsdangerous import BadSignature, URLSafeTimedSerializer
from markupsafe import Markup

FRAME_SESSION = "frame_session"
"""Session key marking a cookie-less session: {"launch": digest of the launch, "at": when it happened}."""
PARAMETER = "ss"
IDLE_SECONDS = 3600
LIFETIME_SECONDS = 8 * 3600
SALT = "sweetspot-frame-session"
ENDPOINT_PREFIXES = ("pages.", "admin.")


class FrameSession(SecureCookieSession):
    """A session that counts its changes, so the token in URLs is re-made only when it changed."""

    def __init__(self, initial: Any = None) -> None:
        def changed(self: FrameSession) -> None:
            self.modified = True
            self.version += 1

        self.version = 0
        super(SecureCookieSession, self).__init__(initial, changed)


class FrameSessionInterface(SecureCookieSessionInterface):
    """Cookie sessions for framed pages, or the signed token of a cookie-less launch (see the module)."""

    session_class = FrameSession

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """The token's session when the URL carries one, else the cookie's."""
        token = request.args.get(PARAMETER)
        if token is None:
            if app.secret_key and self.get_cookie_name(app) not in request.cookies:
                # API requests (the xAPI listener above all) carry no session cookie: skip building the signer.
                return self.session_class()
            return super().open_session(app, request)
        if request.headers.get("Sec-Fetch-Dest", "iframe") != "iframe":
            return self.session_class()  # a leaked link opened outside the LMS frame is no session
        try:
            data = _serializer(app).loads(token, max_age=IDLE_SECONDS)
        except BadSignature:
            return self.session_class()
        marker = data.get(FRAME_SESSION) if isinstance(data, dict) else None
        if not isinstance(marker, dict) or not time.time() - float(marker.get("at", 0)) < LIFETIME_SECONDS:
            return self.session_class()
        return self.session_class(data)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """A cookie for cookie sessions; nothing for a token session, whose pages carry it."""
        if FRAME_SESSION in session:
            response.headers["Referrer-Policy"] = "same-origin"
            response.headers["Cache-Control"] = "no-store"
            return
        super().save_session(app, session, response)

    # Over HTTPS the cookie is SameSite=None; Secure; Partitioned (CHIPS), which browsers that block
    # third-party cookies still accept per embedding site. Over plain HTTP (the demo on localhost)
    # browsers refuse SameSite=None without Secure, so it is Lax.

    def get_cookie_secure(self, app: Flask) -> bool:
        """Secure whenever the request came over HTTPS."""
        return request.is_secure

    def get_cookie_samesite(self, app: Flask) -> str:
        """None over HTTPS (third-party iframe), Lax otherwise."""
        return "None" if request.is_secure else "Lax"

    def get_cookie_partitioned(self, app: Flask) -> bool:
        """Partitioned over HTTPS."""
        return request.is_secure


def start(launch_digest: str) -> None:
    """Make this request's (fresh) session a token session for the launch named by `launch_digest`."""
    session[FRAME_SESSION] = {"launch": launch_digest, "at": time.time()}


def token() -> str | None:
    """The token of this request's session if it is a token session (made once per change)."""
    if FRAME_SESSION not in session:
        return None
    if "csrf_token" not in session:
        generate_csrf()  # the CSRF secret must be in the token before any form's URL is made
    current = session.version if isinstance(session, FrameSession) else -1
    cached = g.get("_frame_session_token")
    if cached is None or cached[0] != current:
        cached = (current, _serializer_for_request().dumps(dict(session)))
        g._frame_session_token = cached
    return str(cached[1])


def add_token(endpoint: str, values: dict[str, Any]) -> None:
    """`url_for` defaults: links and forms of the pages carry the session token of a token session."""
    if has_request_context() and endpoint.startswith(ENDPOINT_PREFIXES) and PARAMETER not in values:
        current = token()
        if current is not None:
            values[PARAMETER] = current


def hidden_field() -> Markup:
    """The token as a hidden field, for GET forms (whose submission replaces the action's query)."""
    current = token()
    if current is None:
        return Markup("")
    return Markup('<input type="hidden" name="{}" value="{}">').format(PARAMETER, current)


def init_app(app: Flask) -> None:
    """Install the session interface, the URL defaults and the template global."""
    app.session_interface = FrameSessionInterface()
    app.url_defaults(add_token)
    app.add_template_global(hidden_field, "frame_session_field")


def _serializer(app: Flask) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        app.secret_key or "",
        salt=SALT,
        serializer=TaggedJSONSerializer(),
        signer_kwargs={"key_derivation": "hmac", "digest_method": hashlib.sha256},
    )


def _serializer_for_request() -> URLSafeTimedSerializer:
    return _serializer(current_app)
