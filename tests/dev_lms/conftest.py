"""Fixtures for the development LMS: a platform served over real HTTP, and tool key sets it can fetch."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, jsonify
from flask.testing import FlaskClient
from jwcrypto import jwk, jws

from dev_lms import CourseRef, DevLms, PersonRef, ToolRegistration, create_app, serve_in_thread
from dev_lms import vocabulary as v


class LateApp:
    """A WSGI app that is bound after its server has a port (the platform's issuer needs the port)."""

    def __init__(self) -> None:
        self.app: Any = None

    def __call__(self, environ: Any, start_response: Any) -> Any:
        return self.app(environ, start_response)


class Clock:
    """A clock the test moves; it starts at the real time, since libraries under test sign with it."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        """Move the clock forward."""
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Clock:
    """The platform's clock."""
    return Clock()


@pytest.fixture(scope="session")
def platform_pem() -> str:
    """One platform key for the run (RSA generation is slow); a test of generation makes its own."""
    return _pem()


@pytest.fixture(scope="session")
def tool_pem() -> str:
    """One tool key for the run."""
    return _pem()


@pytest.fixture
def lms(tmp_path: Path, clock: Clock, platform_pem: str) -> Iterator[DevLms]:
    """A development LMS served on a free local port."""
    (tmp_path / "lms").mkdir()
    (tmp_path / "lms" / "platform-key.pem").write_text(platform_pem)
    late = LateApp()
    server = serve_in_thread(late)
    platform = DevLms(tmp_path / "lms", f"http://127.0.0.1:{server.port}", clock=clock)
    late.app = create_app(platform)
    yield platform
    server.stop()
    platform.close()


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
def tool_keys(tool_pem: str) -> Iterator[ToolKeys]:
    """A tool key whose public JWKS is served over HTTP, as a tool's would be."""
    pem = tool_pem
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


@dataclass
class Tool:
    """A tool registered by hand with the platform, whose keys are served over HTTP."""

    registration: ToolRegistration
    keys: ToolKeys

    @property
    def client_id(self) -> str:
        """The client id the platform gave the tool."""
        return self.registration.client_id

    @property
    def redirect_uri(self) -> str:
        """The tool's registered launch URL."""
        return self.keys.base_url + "/launch"


@pytest.fixture
def tool(lms: DevLms, tool_keys: ToolKeys) -> Tool:
    """A tool registered by hand with every service scope."""
    registration = lms.register_tool(
        "Key-only tool",
        initiate_login_uri=tool_keys.base_url + "/login",
        redirect_uris=[tool_keys.base_url + "/launch"],
        jwks_uri=tool_keys.jwks_uri,
        target_link_uri=tool_keys.base_url + "/launch",
        deep_link_uri=tool_keys.base_url + "/deep-link",
        custom_parameters={"user": "$User.id", "years": "$Person.custom.years_in_role", "fixed": "value"},
    )
    return Tool(registration, tool_keys)


@dataclass
class Cast:
    """A course and its people."""

    course: CourseRef
    instructor: PersonRef
    ana: PersonRef
    ben: PersonRef
    mentor: PersonRef


@pytest.fixture
def cast(lms: DevLms) -> Cast:
    """A course with an instructor, two learners and a mentor of one of them."""
    course = lms.add_course("course-1", "Leading teams", "LEAD")
    instructor = lms.add_person(course, "Maya Stone", "maya@example.com", [v.INSTRUCTOR])
    ana = lms.add_person(course, "Ana Diaz", "ana@example.com", [v.LEARNER], custom={"years_in_role": "3"})
    ben = lms.add_person(course, "Ben Okafor", "ben@example.com", [v.LEARNER])
    mentor = lms.add_person(course, "Rui Costa", "rui@example.com", [v.MENTOR], role_scope_mentor=[ana.user_id])
    return Cast(course, instructor, ana, ben, mentor)
