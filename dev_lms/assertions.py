"""Verifying a tool's signed JWTs: its key set fetched over HTTP, the registered claims, single use."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import requests
from sqlalchemy import delete
from sqlalchemy.orm import Session

from dev_lms.errors import ProtocolError
from dev_lms.keys import InvalidJwt, unverified_parts, verify
from dev_lms.storage import Tool, UsedAssertion, utc

if TYPE_CHECKING:
    from dev_lms.platform import DevLms

# Security Framework §5.1.3 and RFC 7523 §3 allow "a reasonable clock skew"; a minute is what Moodle allows.
CLOCK_SKEW = timedelta(seconds=60)


def issuer_of(token: str, error: str) -> str:
    """The `iss` of a JWT before verification (to find whose keys to use)."""
    try:
        _, claims = unverified_parts(token)
    except InvalidJwt as fault:
        raise ProtocolError(400, error, str(fault)) from fault
    issuer = claims.get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise ProtocolError(400, error, "the JWT has no iss claim")
    return issuer


def verified_claims(lms: DevLms, tool: Tool, token: str, *, audience: str, error: str) -> dict[str, Any]:
    """The claims of a JWT the tool signed, checked for signature, `iss`, `aud`, `exp` and `iat`."""
    try:
        response = lms.http.get(tool.jwks_uri, timeout=10)
        response.raise_for_status()
        key_set = response.json()
    except (requests.RequestException, ValueError) as fault:
        raise ProtocolError(400, error, f"could not fetch the tool's key set from {tool.jwks_uri}: {fault}") from fault
    try:
        claims = verify(token, key_set)
    except InvalidJwt as fault:
        raise ProtocolError(400, error, str(fault)) from fault
    if claims.get("iss") != tool.client_id:
        raise ProtocolError(400, error, "iss must be the tool's client_id")
    aud = claims.get("aud")
    audiences = aud if isinstance(aud, list) else [aud]
    if audience not in audiences:
        raise ProtocolError(400, error, f"aud must be {audience}")
    if isinstance(aud, list) and len(aud) > 1 and claims.get("azp") != tool.client_id:
        # OIDC Core §2: with several audiences, azp names the party the token is for.
        raise ProtocolError(400, error, "with several audiences, azp must be the tool's client_id")
    now = lms.clock()
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or isinstance(exp, bool):
        raise ProtocolError(400, error, "exp is required (seconds since the epoch)")
    if exp + CLOCK_SKEW.total_seconds() <= now.timestamp():
        raise ProtocolError(400, error, "the JWT has expired")
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or isinstance(iat, bool):
        raise ProtocolError(400, error, "iat is required (seconds since the epoch)")
    if iat - CLOCK_SKEW.total_seconds() > now.timestamp():
        raise ProtocolError(400, error, "iat is in the future")
    return claims


def use_once(
    session: Session, key: str, expires: float, now: datetime, *, error: str, what: str, status: int = 400
) -> None:
    """Record `key` (a jti or a nonce) as used until it expires; refuse it if it was seen before."""
    session.execute(delete(UsedAssertion).where(UsedAssertion.expires_at < now))
    seen = session.get(UsedAssertion, key)
    if seen is not None and utc(seen.expires_at) >= now:
        raise ProtocolError(status, error, f"this {what} has already been used")
    if seen is None:
        session.add(UsedAssertion(key=key, expires_at=datetime.fromtimestamp(expires, now.tzinfo) + CLOCK_SKEW))
