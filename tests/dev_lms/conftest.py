"""Fixtures for the development LMS: a platform served over real HTTP, and tool key sets it can fetch."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, jsonify
from flask.testing import FlaskClient
from jwcrypto import jwk, jws

from dev_lms import DevLms, create_app, serve_in_thread
from dev_lms.storage import dispose


class LateApp:
    """A WSGI app that is bound after its server has a port (the platform's issuer needs the port)."""

    def __init__(self) -> None:
        self.app: Any = None

    def __call__(self, environ: Any, start_response: Any) -> Any:
        return self.app(environ, start_response)


@pytest.fixture
def lms(tmp_path: Path) -> Iterator[DevLms]:
    """A development LMS served on a free local port."""
    late = LateApp()
    server = serve_in_thread(late)
    platform = DevLms(tmp_path / "lms", f"http://127.0.0.1:{server.port}")
    late.app = create_app(platform)
    yield platform
    server.stop()
    dispose(platform.sessions)


@pytest.fixture
def client(lms: DevLms) -> FlaskClient:
    """A Flask test client on the same platform (for the rules of each endpoint)."""
    return create_app(lms).test_client()


@dataclass
class ToolKeys:
    """A tool's RSA key and the URL its JWKS is served at (over real HTTP)."""

    key: jwk.JWK
    private_pem: str
    base_url: str

    @property
    def jwks_uri(self) -> str:
        """Where the platform fetches this tool's keys."""
        return self.base_url + "/jwks"

    def sign(self, claims: dict[str, Any], *, kid: bool = True, alg: str = "RS256") -> str:
        """A compact JWS of `claims` signed with the tool's key."""
        import json

        token = jws.JWS(json.dumps(claims).encode())
        header = {"alg": alg, "typ": "JWT", **({"kid": self.key.thumbprint()} if kid else {})}
        token.add_signature(self.key, alg=alg, protected=header)
        return str(token.serialize(compact=True))


def _pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


@pytest.fixture
def tool_keys() -> Iterator[ToolKeys]:
    """A tool key whose public JWKS is served over HTTP, as a tool's would be."""
    pem = _pem()
    key = jwk.JWK.from_pem(pem.encode())
    app = Flask("tool_keys")

    @app.get("/jwks")
    def jwks() -> Any:
        return jsonify({"keys": [{**key.export_public(as_dict=True), "kid": key.thumbprint(), "alg": "RS256"}]})

    server = serve_in_thread(app)
    yield ToolKeys(key, pem, f"http://127.0.0.1:{server.port}")
    server.stop()


@pytest.fixture
def new_pem() -> Callable[[], str]:
    """Makes a fresh RSA private key in PEM."""
    return _pem
