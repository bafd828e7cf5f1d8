"""An xAPI client for the test app: a live credential of the Acme tenant, and helpers to send statements."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from sweetspot.runtime import Runtime
from tests.integration.conftest import World
from xapi_listener.credentials import issue_credential


def basic(key: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:{secret}".encode()).decode()


@dataclass
class Lrs:
    """Talks to /xapi/ as a client of one tenant would."""

    client: FlaskClient
    authorization: str
    version: str = "1.0.3"

    @property
    def credential_key(self) -> str:
        """The key of the credential this client sends."""
        return base64.b64decode(self.authorization.split()[1]).decode().split(":")[0]

    def headers(self, **extra: str) -> dict[str, str]:
        return {"Authorization": self.authorization, "X-Experience-API-Version": self.version, **extra}

    def post(self, body: Any) -> TestResponse:
        return self.client.post("/xapi/statements", json=body, headers=self.headers())

    def put(self, statement_id: str, body: Any) -> TestResponse:
        return self.client.put(f"/xapi/statements?statementId={statement_id}", json=body, headers=self.headers())

    def get(self, **params: str) -> TestResponse:
        return self.client.get("/xapi/statements", query_string=params, headers=self.headers())


def make_credential(runtime: Runtime, tenant_id: int, read_only: bool = False, xapi_version: str = "1.0.3") -> str:
    with runtime.unit_of_work() as uow:
        issued = issue_credential(uow, tenant_id, read_only, "tests", xapi_version)
        uow.commit()
    return basic(issued.credential.key, issued.secret)


@pytest.fixture
def lrs(client: FlaskClient, runtime: Runtime, world: World) -> Lrs:
    return Lrs(client, make_credential(runtime, world.tenant.id))


def statement(
    email: str = "ana@acme.test",
    verb: str = "http://adlnet.gov/expapi/verbs/experienced",
    activity: str = "https://lms.acme.test/course/python",
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "actor": {"objectType": "Agent", "name": "Ana Alves", "mbox": f"mailto:{email}"},
        "verb": {"id": verb, "display": {"en-US": verb.rsplit("/", 1)[-1]}},
        "object": {"objectType": "Activity", "id": activity, "definition": {"name": {"en-US": "Python for analysts"}}},
    }
    body.update(extra)
    return body


def with_id(body: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), **body}
