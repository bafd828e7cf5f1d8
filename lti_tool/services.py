"""Calls from the tool to a platform's LTI Advantage services, with OAuth2 access tokens kept until expiry.

A service call needs an access token from the platform's token endpoint (1EdTech Security Framework
§4.1: the client-credentials grant with a JWT client assertion, RFC 7523). Tokens are cached in this
process per registration and scope set until shortly before they expire, so a batch of score posts
or a roster of many pages costs one token request. The cache is in memory: each worker process asks
for its own token, which every platform allows.

pylti1p3's `ServiceConnector` does the same in principle, but it keeps tokens only for the life of
one launch object, follows NRPS pages without the `differences` link, and folds every HTTP failure
into one exception without the status; the roster sync and the score outbox need all three, so the
calls are made here with `requests`, a timeout on every request, and errors that name what failed.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import requests
from jwcrypto import jwk, jwt

from lti_tool.keys import KeyRing
from lti_tool.registrations import Registration

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ASSERTION_LIFETIME_SECONDS = 300
EXPIRY_MARGIN_SECONDS = 60
"""A cached token is not used in its last minute, so it cannot expire on its way to the platform."""
DEFAULT_TOKEN_LIFETIME_SECONDS = 3600
TIMEOUT = (5.0, 30.0)
"""Seconds to connect and to wait for an answer on every service request."""
ERROR_TEXT_LIMIT = 500


class ServiceError(Exception):
    """A platform service call that failed: what was asked, the HTTP status if any, and the reason."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status

    @property
    def transient(self) -> bool:
        """Whether trying again later may succeed: no answer, a 5xx, 429 or 408."""
        return self.status is None or self.status >= 500 or self.status in (408, 429)


@dataclass(frozen=True)
class Answer:
    """A service response the caller needs: the JSON body and the Link header's URLs by relation."""

    status: int
    body: Any
    links: dict[str, str]
    location: str | None


class AccessTokens:
    """Access tokens per registration and scope set, asked for with a signed client assertion and cached."""

    def __init__(self, http: requests.Session, keys: KeyRing, clock: Callable[[], float] = time.time) -> None:
        self._http = http
        self._keys = keys
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: dict[tuple[int, str, frozenset[str]], tuple[str, float]] = {}

    def token(self, registration: Registration, scopes: Iterable[str]) -> str:
        """A bearer token for `scopes` at the registration's platform, from the cache while it is fresh."""
        key = (registration.id, registration.auth_token_url, frozenset(scopes))
        with self._lock:
            cached = self._cache.get(key)
            if cached and cached[1] - EXPIRY_MARGIN_SECONDS > self._clock():
                return cached[0]
        token, expires_at = self._request(registration, sorted(key[2]))
        with self._lock:
            self._cache[key] = (token, expires_at)
        return token

    def forget(self, registration: Registration, scopes: Iterable[str]) -> None:
        """Drop a cached token the platform refused (revoked early, or its keys changed)."""
        with self._lock:
            self._cache.pop((registration.id, registration.auth_token_url, frozenset(scopes)), None)

    def client_assertion(self, registration: Registration) -> str:
        """The JWT the tool authenticates with: iss = sub = client id, aud = the token endpoint (RFC 7523 §3)."""
        now = int(self._clock())
        signing = self._keys.signing
        claims = {
            "iss": registration.client_id,
            "sub": registration.client_id,
            "aud": registration.auth_audience or registration.auth_token_url,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME_SECONDS,
            "jti": secrets.token_urlsafe(24),  # single use (RFC 7523 §3, item 7)
        }
        token = jwt.JWT(header={"alg": "RS256", "typ": "JWT", "kid": signing.kid}, claims=claims)
        token.make_signed_token(jwk.JWK.from_pem(signing.private_pem))
        return str(token.serialize())

    def _request(self, registration: Registration, scopes: list[str]) -> tuple[str, float]:
        form = {
            "grant_type": "client_credentials",
            "client_assertion_type": CLIENT_ASSERTION_TYPE,
            "client_assertion": self.client_assertion(registration),
            "scope": " ".join(scopes),
        }
        url = registration.auth_token_url
        asked_at = self._clock()
        try:
            response = self._http.post(url, data=form, headers={"Accept": "application/json"}, timeout=TIMEOUT)
        except requests.RequestException as error:
            raise ServiceError(f"token request to {url} failed: {error}") from error
        if response.status_code != 200:
            raise ServiceError(
                f"token request to {url} was refused with {response.status_code}: {_excerpt(response)}",
                response.status_code,
            )
        try:
            body = response.json()
            token = str(body["access_token"])
            lifetime = float(body.get("expires_in") or DEFAULT_TOKEN_LIFETIME_SECONDS)
        except (ValueError, KeyError, TypeError) as error:
            raise ServiceError(f"token response of {url} has no access_token: {_excerpt(response)}") from error
        return token, asked_at + lifetime


class PlatformClient:
    """Authorised JSON requests to one platform's services, with the media types the services name."""

    def __init__(self, http: requests.Session, tokens: AccessTokens) -> None:
        self.http = http
        self.tokens = tokens

    def call(
        self,
        registration: Registration,
        scopes: Iterable[str],
        method: str,
        url: str,
        *,
        accept: str,
        content_type: str | None = None,
        body: Any = None,
    ) -> Answer:
        """Send the request with a bearer token; a 401 gets one fresh token and one more try."""
        scopes = frozenset(scopes)
        for attempt in (1, 2):
            token = self.tokens.token(registration, scopes)
            headers = {"Authorization": f"Bearer {token}", "Accept": accept}
            if content_type:
                headers["Content-Type"] = content_type
            try:
                response = self.http.request(method, url, json=body, headers=headers, timeout=TIMEOUT)
            except requests.RequestException as error:
                raise ServiceError(f"{method} {url} failed: {error}") from error
            if response.status_code == 401 and attempt == 1:
                self.tokens.forget(registration, scopes)
                continue
            if response.status_code >= 400:
                raise ServiceError(
                    f"{method} {url} answered {response.status_code}: {_excerpt(response)}", response.status_code
                )
            try:
                parsed = response.json() if response.content else None
            except ValueError as error:
                raise ServiceError(f"{method} {url} answered with a body that is not JSON") from error
            links = {rel: link["url"] for rel, link in response.links.items() if "url" in link}
            return Answer(response.status_code, parsed, links, response.headers.get("Location"))
        raise AssertionError("unreachable")  # pragma: no cover


def with_query(url: str, **params: str) -> str:
    """The URL with `params` added to whatever query it already has (Moodle's lineitems URL has one)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in params]
    return urlunsplit(parts._replace(query=urlencode(query + list(params.items()))))


def with_path_suffix(url: str, suffix: str) -> str:
    """The URL with `suffix` appended to its path, its query kept (AGS §3.4: a line item's /scores)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + suffix))


def _excerpt(response: requests.Response) -> str:
    text = " ".join(response.text.split())
    return (text[:ERROR_TEXT_LIMIT] + "…") if len(text) > ERROR_TEXT_LIMIT else (text or response.reason or "")
