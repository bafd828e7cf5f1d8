"""The tool's signing keys and the JSON Web Key Set that platforms fetch to verify them.

LTI 1.3 (1EdTech Security Framework §6) signs tool messages with RS256 and publishes public keys as
a JWKS; each key is named by its RFC 7638 thumbprint so the `kid` is stable across restarts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto import jwk


def generate_private_key_pem(bits: int) -> bytes:
    """A new RSA private key in PKCS#8 PEM."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )


@dataclass(frozen=True)
class SigningKey:
    """One RSA key pair of the tool, with its id and public JWK."""

    private_pem: bytes
    kid: str
    public_jwk: dict[str, Any]

    @classmethod
    def from_pem(cls, private_pem: bytes) -> SigningKey:
        """Load a key from PEM and derive its thumbprint id and public JWK (RS256, signatures)."""
        key = jwk.JWK.from_pem(private_pem)
        kid = str(key.thumbprint())
        public: dict[str, Any] = key.export_public(as_dict=True)
        return cls(private_pem, kid, {**public, "kid": kid, "alg": "RS256", "use": "sig"})


def key_set(keys: list[SigningKey]) -> dict[str, list[dict[str, Any]]]:
    """The JWKS document publishing every active key."""
    return {"keys": [key.public_jwk for key in keys]}
