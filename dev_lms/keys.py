"""The platform's RSA key, its JWKS, and signing and verifying JWTs (1EdTech Security Framework 1.0 §5-6).

The key is generated on first run into the platform's directory (mode 0600) and kept across restarts;
its `kid` is the RFC 7638 thumbprint. Messages are signed RS256 with the `kid` in the header, and the
tool's messages are verified against the tool's JWKS, fetched at the time of use.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto import jwk, jws
from jwcrypto.common import JWException


class InvalidJwt(ValueError):
    """A JWT that cannot be read or whose signature does not verify."""


class PlatformKey:
    """The platform's signing key pair."""

    def __init__(self, private_pem: bytes) -> None:
        self._key = jwk.JWK.from_pem(private_pem)
        self.kid = str(self._key.thumbprint())

    @classmethod
    def load_or_create(cls, directory: Path, bits: int = 2048) -> PlatformKey:
        """The key stored in `directory`, generated there on first use."""
        path = directory / "platform-key.pem"
        if not path.exists():
            key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(pem)
        return cls(path.read_bytes())

    def public_jwk(self) -> dict[str, Any]:
        """The public half as a JWK, with `kid`, `alg` and `use`."""
        public: dict[str, Any] = self._key.export_public(as_dict=True)
        return {**public, "kid": self.kid, "alg": "RS256", "use": "sig"}

    def key_set(self) -> dict[str, list[dict[str, Any]]]:
        """The JWKS document."""
        return {"keys": [self.public_jwk()]}

    def sign(self, claims: dict[str, Any]) -> str:
        """A compact RS256 JWS of `claims` with this key's `kid` in the header."""
        token = jws.JWS(json.dumps(claims).encode())
        token.add_signature(self._key, alg="RS256", protected={"alg": "RS256", "typ": "JWT", "kid": self.kid})
        return str(token.serialize(compact=True))


def unverified_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims of a compact JWT, before any verification (to find whose keys to fetch)."""
    parts = token.split(".") if isinstance(token, str) else []
    if len(parts) != 3:
        raise InvalidJwt("the JWT is not a compact JWS of three dot-separated parts")
    try:
        header = json.loads(_b64decode(parts[0]))
        claims = json.loads(_b64decode(parts[1]))
    except ValueError as error:
        raise InvalidJwt(f"the JWT's header or claims are not base64url JSON ({error})") from error
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise InvalidJwt("the JWT's header and claims must be JSON objects")
    return header, claims


def verify(token: str, key_set: dict[str, Any]) -> dict[str, Any]:
    """The claims of `token` once its RS256 signature verifies against a key of `key_set`."""
    header, claims = unverified_parts(token)
    if header.get("alg") != "RS256":
        # Security Framework §5.4: RS256 is the algorithm; `none` and HMAC algorithms are refused.
        raise InvalidJwt(f"the JWT is signed with {header.get('alg')!r}; only RS256 is accepted")
    try:
        keys = jwk.JWKSet.from_json(json.dumps(key_set))
    except (JWException, ValueError, TypeError) as error:
        raise InvalidJwt(f"the tool's key set is not a valid JWKS ({error})") from error
    kid = header.get("kid")
    candidates = [keys.get_key(kid)] if kid else list(keys["keys"])
    candidates = [key for key in candidates if key is not None]
    if not candidates:
        raise InvalidJwt(f"no key with kid {kid!r} in the tool's key set")
    for key in candidates:
        verifier = jws.JWS()
        try:
            verifier.deserialize(token)
            verifier.verify(key, alg="RS256")
        except (JWException, ValueError):
            continue
        return claims
    raise InvalidJwt("the JWT's signature does not verify against the tool's key set")


def _b64decode(segment: str) -> bytes:
    """Base64url without padding (RFC 7515 §2)."""
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
