"""A signing platform for launch tests: its own RSA key, its key set served over real HTTP, and id_tokens.

The development LMS launches the tool end to end; here the tests need to forge every kind of bad
token, so they hold the platform's key themselves.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from flask.testing import FlaskClient
from werkzeug.serving import make_server
from werkzeug.test import TestResponse
from werkzeug.wrappers import Request, Response

from lti_tool import claims
from lti_tool.keys import SigningKey, generate_private_key_pem
from lti_tool.registrations import PlatformDraft, add_deployment, add_registration
from sweetspot.runtime import Runtime
from tests.integration.conftest import World

TOOL = "http://localhost"
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
MENTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Mentor"
INSTITUTION_ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"

_KEYS = [SigningKey.from_pem(generate_private_key_pem(2048)) for _ in range(2)]


@dataclass
class Platform:
    """A platform with a key set on a real HTTP server, registered with the tool for a tenant."""

    issuer: str
    client_id: str
    deployment_id: str
    key: SigningKey
    published: list[SigningKey]
    jwks_url: str
    jwks_fetches: list[float] = field(default_factory=list)

    def claims(self, nonce: str, **overrides: Any) -> dict[str, Any]:
        """A valid LtiResourceLinkRequest claim set for a learner, with `overrides` applied (None removes)."""
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.client_id,
            "sub": "u-ana",
            "exp": now + 300,
            "iat": now,
            "nonce": nonce,
            "name": "Ana Alves",
            "given_name": "Ana",
            "family_name": "Alves",
            "email": "ana@acme.test",
            claims.MESSAGE_TYPE: "LtiResourceLinkRequest",
            claims.VERSION: "1.3.0",
            claims.DEPLOYMENT_ID: self.deployment_id,
            claims.TARGET_LINK_URI: TOOL + "/app/",
            claims.RESOURCE_LINK: {"id": "link-1", "title": "Sweetspot"},
            claims.ROLES: [LEARNER],
            claims.CONTEXT: {"id": "course-101", "label": "DATA101", "title": "Data skills for analysts"},
            claims.LAUNCH_PRESENTATION: {"locale": "en", "document_target": "iframe"},
        }
        for name, value in overrides.items():
            name = getattr(claims, name, name)
            if value is None:
                body.pop(name, None)
            else:
                body[name] = value
        return body

    def sign(self, body: dict[str, Any], key: SigningKey | None = None, **header: Any) -> str:
        """The claims signed RS256 with the platform's key (or `key`), header fields overridable."""
        key = key or self.key
        headers = {"kid": key.kid, **header}
        return jwt.encode(body, key.private_pem, algorithm="RS256", headers=headers)


@pytest.fixture(scope="session")
def jwks_server() -> Iterator[tuple[str, list[SigningKey], list[float]]]:
    """A real HTTP server publishing the test platform's key set; counts how often it is fetched."""
    published = [_KEYS[0]]
    fetches: list[float] = []

    def serve(environ: dict[str, Any], start_response: Any) -> Any:
        fetches.append(time.monotonic())
        request = Request(environ)
        del request
        body = json.dumps({"keys": [k.public_jwk for k in published]})
        return Response(body, mimetype="application/json", headers={"Cache-Control": "max-age=3600"})(
            environ, start_response
        )

    server = make_server("127.0.0.1", 0, serve, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/jwks.json", published, fetches
    server.shutdown()


@pytest.fixture
def platform(runtime: Runtime, world: World, jwks_server: tuple[str, list[SigningKey], list[float]]) -> Platform:
    """A Moodle-like platform registered for Acme with one active deployment."""
    url, published, fetches = jwks_server
    del published[1:]
    fetches.clear()
    issuer = f"https://lms-{uuid.uuid4().hex[:8]}.acme.test"
    with runtime.unit_of_work() as uow:
        registration = add_registration(
            uow,
            world.tenant.id,
            PlatformDraft(
                issuer=issuer,
                client_id="sweetspot-client",
                auth_login_url=issuer + "/auth",
                auth_token_url=issuer + "/token",
                key_set_url=url,
                label="Acme Moodle",
            ),
        )
        add_deployment(uow, registration, "deployment-1")
        uow.commit()
    return Platform(issuer, "sweetspot-client", "deployment-1", _KEYS[0], published, url, fetches)


@pytest.fixture
def spare_key() -> SigningKey:
    """A second key of the platform, not published until a test publishes it."""
    return _KEYS[1]


def login(client: FlaskClient, platform: Platform, **params: str) -> tuple[str, str]:
    """OIDC login initiation as the platform sends it; returns the state and nonce the tool chose."""
    data = {
        "iss": platform.issuer,
        "login_hint": "u-ana",
        "target_link_uri": TOOL + "/app/",
        "client_id": platform.client_id,
        "lti_deployment_id": platform.deployment_id,
        **params,
    }
    response = client.post("/lti/login", data=data)
    assert response.status_code == 302, response.text
    query = parse_qs(urlsplit(response.location).query)
    return query["state"][0], query["nonce"][0]


def launch(
    client: FlaskClient, platform: Platform, build: Callable[[str], str] | None = None, **overrides: Any
) -> TestResponse:
    """Login then the id_token POST; `overrides` change the claims, or `build(nonce)` makes the id_token."""
    state, nonce = login(client, platform)
    token = build(nonce) if build else platform.sign(platform.claims(nonce, **overrides))
    return client.post("/lti/launch", data={"id_token": token, "state": state})
