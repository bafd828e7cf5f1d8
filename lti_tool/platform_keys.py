"""Platforms' public key sets, fetched over HTTPS and cached as their Cache-Control allows.

A launch signed with a `kid` the cached set does not hold triggers one fresh download, because
platforms rotate keys; refetches of one URL are spaced out so a flood of forged kids cannot make the
tool hammer a platform.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from threading import Lock
from typing import Any

import requests
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from jwcrypto.common import JWException
from jwcrypto.jwk import JWK
from werkzeug.http import parse_cache_control_header

MAX_CACHE_SECONDS = 24 * 3600
REFETCH_SPACING_SECONDS = 10.0
FETCH_TIMEOUT_SECONDS = 10.0


class KeySetError(Exception):
    """The platform's key set could not be fetched or does not hold the key asked for."""


class UnusableKey(KeySetError):
    """The key set holds the key asked for, but it is not an RSA public key."""

    def __init__(self, kid: str) -> None:
        super().__init__(f"the platform's key {kid!r} is not a usable RSA key")
        self.kid = kid


@dataclass
class _Cached:
    keys: list[dict[str, Any]]
    fresh_until: float
    fetched_at: float
    forced: bool


class PlatformKeySets:
    """A per-process cache of platforms' JWKS documents."""

    def __init__(self, default_max_age: int, session: requests.Session | None = None) -> None:
        self._default_max_age = default_max_age
        self._session = session or requests.Session()
        self._cache: dict[str, _Cached] = {}
        self._public_keys: dict[tuple[str, str], tuple[dict[str, Any], RSAPublicKey]] = {}
        self._lock = Lock()

    def public_key(self, url: str, kid: str) -> RSAPublicKey:
        """The RSA public key with `kid` from the key set at `url`, converted once per key and kept."""
        jwk = self.key(url, kid)
        known = self._public_keys.get((url, kid))
        if known is not None and known[0] == jwk:
            return known[1]
        try:
            public_key = load_pem_public_key(JWK.from_json(json.dumps(jwk)).export_to_pem())
        except (ValueError, TypeError, JWException) as error:
            raise UnusableKey(kid) from error
        if not isinstance(public_key, RSAPublicKey):
            raise UnusableKey(kid)
        self._public_keys[(url, kid)] = (jwk, public_key)
        return public_key

    def key(self, url: str, kid: str) -> dict[str, Any]:
        """The JWK with `kid` from the key set at `url`; an unknown kid is looked for once more, freshly."""
        cached = self._cache.get(url)
        if cached is None or cached.fresh_until < time.monotonic():
            cached = self._fetch(url)
        found = _find(cached.keys, kid)
        if found is None and (not cached.forced or time.monotonic() - cached.fetched_at >= REFETCH_SPACING_SECONDS):
            cached = self._fetch(url, forced=True)
            found = _find(cached.keys, kid)
        if found is None:
            raise KeySetError(f"the platform's key set at {url} has no key with kid {kid!r}")
        return found

    def _fetch(self, url: str, forced: bool = False) -> _Cached:
        try:
            response = self._session.get(url, timeout=FETCH_TIMEOUT_SECONDS, headers={"Accept": "application/json"})
            response.raise_for_status()
            document = response.json()
        except (requests.RequestException, ValueError) as error:
            raise KeySetError(f"could not fetch the platform's key set from {url}: {error}") from error
        keys = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(keys, list) or not all(isinstance(k, dict) for k in keys):
            raise KeySetError(f"the document at {url} is not a JSON Web Key Set (no 'keys' array)")
        control = parse_cache_control_header(response.headers.get("Cache-Control"))
        max_age = self._default_max_age if control.max_age is None else min(control.max_age, MAX_CACHE_SECONDS)
        if control.no_store or control.no_cache:
            max_age = 0
        now = time.monotonic()
        cached = _Cached(keys, now + max_age, now, forced)
        with self._lock:
            self._cache[url] = cached
        return cached


def _find(keys: list[dict[str, Any]], kid: str) -> dict[str, Any] | None:
    return next((k for k in keys if k.get("kid") == kid), None)
