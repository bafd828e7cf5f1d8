"""A platform's LTI Advantage services on a real HTTP server: OAuth2 tokens, NRPS and AGS.

The token endpoint checks the tool's client assertion against the tool's own /lti/jwks.json, fetched
over HTTP from the tool served in the test, so the signature, `kid`, audience and single-use `jti`
are really verified. NRPS pages the roster and offers a `differences` link; AGS keeps line items
and scores. `failing = True` makes every service answer 503, as a platform under maintenance does.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
LINEITEM_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
SCORE_SCOPE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
MEMBERSHIPS = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
CONTAINER = "application/vnd.ims.lis.v2.lineitemcontainer+json"
LINEITEM = "application/vnd.ims.lis.v2.lineitem+json"
SCORE = "application/vnd.ims.lis.v1.score+json"
ROLE = "http://purl.imsglobal.org/vocab/lis/v2/membership#"


def member(user_id: str, role: str = "Learner", status: str = "Active", **extra: Any) -> dict[str, Any]:
    """An NRPS member object."""
    return {"user_id": user_id, "roles": [ROLE + role], "status": status, **extra}


@dataclass
class ServicePlatform:
    """The platform's state and what the tool asked of it."""

    url: str
    client_id: str
    tool_jwks_url: str
    page_size: int = 2
    token_lifetime: int = 3600
    failing: bool = False
    refused_users: set[str] = field(default_factory=set)
    members: dict[str, dict[str, Any]] = field(default_factory=dict)
    changes: list[tuple[int, str]] = field(default_factory=list)
    line_items: list[dict[str, Any]] = field(default_factory=list)
    scores: list[dict[str, Any]] = field(default_factory=list)
    token_requests: list[dict[str, Any]] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    tokens: dict[str, tuple[set[str], float]] = field(default_factory=dict)
    used_jti: set[str] = field(default_factory=set)

    @property
    def token_url(self) -> str:
        """The OAuth2 token endpoint."""
        return self.url + "/token"

    @property
    def memberships_url(self) -> str:
        """The context's NRPS membership container."""
        return self.url + "/nrps/memberships"

    @property
    def lineitems_url(self) -> str:
        """The context's AGS line item container, with a query as Moodle's has."""
        return self.url + "/ags/lineitems?type_id=7"

    def put(self, *members: dict[str, Any]) -> None:
        """Add or change members; each change is kept for the differences view."""
        for m in members:
            self.members[m["user_id"]] = m
            self.changes.append((len(self.changes) + 1, m["user_id"]))

    def remove(self, user_id: str) -> None:
        """Take a member off the course: gone from full reads, Deleted in differences."""
        gone = self.members.pop(user_id)
        self.members["\0" + user_id] = {**gone, "status": "Deleted"}
        self.changes.append((len(self.changes) + 1, "\0" + user_id))

    def scores_for(self, user_id: str) -> list[dict[str, Any]]:
        """Every score posted for the user, in order."""
        return [s for s in self.scores if s["userId"] == user_id]

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        """The WSGI app."""
        request = Request(environ)
        self.requests.append(f"{request.method} {request.full_path.rstrip('?')}")
        return self._route(request)(environ, start_response)

    def _route(self, request: Request) -> Response:
        if request.path == "/token" and request.method == "POST":
            return self._token(request)
        if self.failing:
            return Response("Service Unavailable: down for maintenance", 503)
        if request.path == "/nrps/memberships" and request.method == "GET":
            return self._authorised(request, NRPS_SCOPE, MEMBERSHIPS) or self._memberships(request)
        if request.path == "/ags/lineitems":
            denied = self._authorised(request, LINEITEM_SCOPE, CONTAINER if request.method == "GET" else LINEITEM)
            if denied:
                return denied
            return self._line_items(request) if request.method == "GET" else self._create_line_item(request)
        if request.path.startswith("/ags/lineitems/") and request.path.endswith("/scores"):
            return self._authorised(request, SCORE_SCOPE, None) or self._score(request)
        return Response("not found", 404)

    def _token(self, request: Request) -> Response:
        form = request.form
        self.token_requests.append(dict(form))
        if form.get("grant_type") != "client_credentials" or form.get("client_assertion_type") != (
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
        ):
            return _error(400, "unsupported_grant_type")
        try:
            signing_key = jwt.PyJWKClient(self.tool_jwks_url, cache_keys=False).get_signing_key_from_jwt(
                form["client_assertion"]
            )
            claims = jwt.decode(
                form["client_assertion"],
                signing_key.key,
                algorithms=["RS256"],
                audience=self.token_url,
                issuer=self.client_id,
                options={"require": ["iss", "sub", "aud", "iat", "exp", "jti"]},
            )
        except (jwt.PyJWTError, KeyError) as error:
            return _error(401, f"invalid_client: {error}")
        if claims["sub"] != self.client_id or claims["jti"] in self.used_jti:
            return _error(401, "invalid_client: sub or a reused jti")
        self.used_jti.add(claims["jti"])
        token = secrets.token_urlsafe(16)
        scopes = set(form.get("scope", "").split())
        self.tokens[token] = (scopes, time.time() + self.token_lifetime)
        body = {"access_token": token, "token_type": "Bearer", "expires_in": self.token_lifetime}
        return Response(json.dumps(body), mimetype="application/json")

    def _authorised(self, request: Request, scope: str, accept: str | None) -> Response | None:
        header = request.headers.get("Authorization", "")
        granted = self.tokens.get(header.removeprefix("Bearer "))
        if not header.startswith("Bearer ") or granted is None or granted[1] < time.time():
            return _error(401, "invalid_token")
        if scope not in granted[0]:
            return _error(403, f"the token lacks {scope}")
        if accept and accept not in request.headers.get("Accept", ""):
            return _error(406, f"Accept must name {accept}")
        return None

    def _memberships(self, request: Request) -> Response:
        page = int(request.args.get("page", "1"))
        since = request.args.get("since")
        if since is None:
            listed = [m for key, m in sorted(self.members.items()) if not key.startswith("\0")]
        else:
            changed = sorted({key for version, key in self.changes if version > int(since)})
            listed = [self.members[key] for key in changed]
        chunk = listed[(page - 1) * self.page_size : page * self.page_size]
        links = []
        base = {"since": since} if since is not None else {}
        if page * self.page_size < len(listed):
            links.append(f'<{self.memberships_url}?{urlencode({**base, "page": page + 1})}>; rel="next"')
        else:
            links.append(f'<{self.memberships_url}?{urlencode({"since": len(self.changes)})}>; rel="differences"')
        body = {"id": request.url, "context": {"id": "course-101"}, "members": chunk}
        return Response(json.dumps(body), content_type=MEMBERSHIPS, headers={"Link": ", ".join(links)})

    def _line_items(self, request: Request) -> Response:
        items = [
            i
            for i in self.line_items
            if request.args.get("tag") in (None, i.get("tag"))
            and request.args.get("resource_id") in (None, i.get("resourceId"))
        ]
        return Response(json.dumps(items), content_type=CONTAINER)

    def _create_line_item(self, request: Request) -> Response:
        if request.content_type != LINEITEM:
            return _error(415, f"Content-Type must be {LINEITEM}")
        body = request.get_json(force=True)
        if not isinstance(body.get("scoreMaximum"), int | float) or body["scoreMaximum"] <= 0 or not body.get("label"):
            return _error(400, "scoreMaximum and label are required")
        item = {**body, "id": f"{self.url}/ags/lineitems/{len(self.line_items) + 1}?type_id=7"}
        self.line_items.append(item)
        return Response(json.dumps(item), 201, content_type=LINEITEM)

    def _score(self, request: Request) -> Response:
        if request.content_type != SCORE:
            return _error(415, f"Content-Type must be {SCORE}")
        number = request.path.split("/")[3]
        if not any(i["id"].startswith(f"{self.url}/ags/lineitems/{number}?") for i in self.line_items):
            return _error(404, "no such line item")
        body = request.get_json(force=True)
        required = ("userId", "activityProgress", "gradingProgress", "timestamp")
        if any(k not in body for k in required) or ("scoreGiven" in body and body["scoreGiven"] > body["scoreMaximum"]):
            return _error(400, "a score needs userId, activityProgress, gradingProgress, timestamp")
        if body["userId"] in self.refused_users:
            return _error(400, f"user {body['userId']} is not enrolled")
        if request.args.get("type_id") != "7":
            return _error(400, "the line item's query was lost")
        self.scores.append({**body, "line_item": number})
        return Response(status=204)


def _error(status: int, message: str) -> Response:
    return Response(json.dumps({"error": message}), status, mimetype="application/json")


def serve(app: Any) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 until the generator is closed; yields the base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)
