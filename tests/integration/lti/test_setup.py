"""Installing Sweetspot in a platform: manual registration by CLI, the setup values, dynamic registration, keys."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from lti_tool.registrations import DeploymentStatus, deployments_of, registrations_of
from sweetspot.app import create_app
from sweetspot.runtime import Runtime, bootstrap
from tests.conftest import Cli, make_settings
from tests.integration.conftest import World


def test_a_platform_added_by_hand_is_listed_with_its_active_deployment(cli: Cli, world: World) -> None:
    added = cli(
        "lti", "platform", "add", "--tenant", "acme",
        "--issuer", "https://moodle.acme.test", "--client-id", "abc123", "--deployment-id", "1",
        "--auth-login-url", "https://moodle.acme.test/mod/lti/auth.php",
        "--auth-token-url", "https://moodle.acme.test/mod/lti/token.php",
        "--key-set-url", "https://moodle.acme.test/mod/lti/certs.php",
        "--label", "Acme Moodle",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    listed = json.loads(cli("lti", "platform", "list", "--tenant", "acme", "--json").output)
    assert [(p["label"], p["client_id"]) for p in listed] == [("Acme Moodle", "abc123")]
    assert listed[0]["deployments"][0]["status"] == "active"
    assert cli("lti", "platform", "list", "--tenant", "globex", "--json").output.strip() == "[]"


def test_the_same_platform_and_client_id_cannot_be_registered_twice(cli: Cli, world: World) -> None:
    args = [
        "lti", "platform", "add", "--tenant", "acme", "--issuer", "https://canvas.instructure.com",
        "--client-id", "10000000000001", "--auth-login-url", "https://sso.canvaslms.com/api/lti/authorize_redirect",
        "--auth-token-url", "https://sso.canvaslms.com/login/oauth2/token",
        "--key-set-url", "https://sso.canvaslms.com/api/lti/security/jwks",
    ]  # fmt: skip
    assert cli(*args).exit_code == 0
    again = cli(*args)
    assert again.exit_code == 1
    assert "already registered" in again.output
    other_client = cli(*[a if a != "10000000000001" else "10000000000002" for a in args])
    assert other_client.exit_code == 0, "hosted Canvas shares one issuer across client ids"


def test_a_platform_with_a_bad_url_is_refused_and_nothing_is_stored(cli: Cli, runtime: Runtime, world: World) -> None:
    result = cli(
        "lti", "platform", "add", "--tenant", "acme", "--issuer", "moodle.acme.test", "--client-id", "x",
        "--auth-login-url", "https://a.test/auth", "--auth-token-url", "https://a.test/token",
        "--key-set-url", "https://a.test/jwks",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "issuer must be an http(s) URL" in result.output
    with runtime.unit_of_work(read_only=True) as uow:
        assert registrations_of(uow, world.tenant.id) == []


def test_lti_urls_prints_every_value_for_a_manual_form(cli: Cli) -> None:
    values = json.loads(cli("lti", "urls", "--base-url", "https://sweetspot.acme.test", "--json").output)
    assert values["login_url"] == "https://sweetspot.acme.test/lti/login"
    assert values["redirect_url"] == "https://sweetspot.acme.test/lti/launch"
    assert values["jwks_url"] == "https://sweetspot.acme.test/lti/jwks.json"
    assert values["tool_url"] == "https://sweetspot.acme.test/app/"
    assert "BEGIN PUBLIC KEY" in values["public_key_pem"]
    text = cli("lti", "urls", "--base-url", "https://sweetspot.acme.test").output
    assert "Initiate login URL" in text and "https://sweetspot.acme.test/lti/login" in text


def test_the_canvas_configuration_url_describes_the_tool(client: FlaskClient) -> None:
    config = client.get("/lti/canvas.json").get_json()
    assert config["oidc_initiation_url"] == "http://localhost/lti/login"
    assert config["public_jwk_url"] == "http://localhost/lti/jwks.json"
    placements = config["extensions"][0]["settings"]["placements"]
    assert {p["message_type"] for p in placements} == {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}


def test_rotating_keys_publishes_both_until_the_grace_period_ends(tmp_path: Path, database_url: str) -> None:
    settings = make_settings(tmp_path / "instance", database_url)  # a data directory of its own: keys change
    runtime = bootstrap(settings)
    client = create_app(runtime).test_client()
    cli = Cli(settings)
    before = [k["kid"] for k in client.get("/lti/jwks.json").get_json()["keys"]]
    assert cli("lti", "keys", "rotate").exit_code == 0
    after = [k["kid"] for k in client.get("/lti/jwks.json").get_json()["keys"]]
    assert after[: len(before)] == before and len(after) == len(before) + 1
    assert runtime.keys.signing.kid == after[-1]
    assert "signing" in cli("lti", "keys", "list").output
    runtime.close()


class RegisteringPlatform:
    """A platform's dynamic-registration endpoints on a real HTTP server, recording what the tool sent."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.authorisations: list[str | None] = []
        self.url = ""
        self.issuer_override: str | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        self.authorisations.append(request.headers.get("Authorization"))
        if request.path == "/.well-known/openid-configuration":
            body: dict[str, Any] = {
                "issuer": self.issuer_override or self.url,
                "authorization_endpoint": self.url + "/auth",
                "token_endpoint": self.url + "/token",
                "jwks_uri": self.url + "/jwks",
                "registration_endpoint": self.url + "/register",
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", "https://purl.imsglobal.org/spec/lti-ags/scope/score"],
                "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                    "product_family_code": "moodle",
                    "version": "5.0",
                    "messages_supported": [{"type": "LtiResourceLinkRequest"}, {"type": "LtiDeepLinkingRequest"}],
                },
            }
            return Response(json.dumps(body), mimetype="application/json")(environ, start_response)
        if request.path == "/register" and request.method == "POST":
            self.received.append(request.get_json())
            answer = {
                "client_id": "moodle-client-7",
                "https://purl.imsglobal.org/spec/lti-tool-configuration": {"deployment_id": "3"},
            }
            return Response(json.dumps(answer), mimetype="application/json")(environ, start_response)
        return Response("not found", 404)(environ, start_response)


@pytest.fixture
def moodle() -> Iterator[RegisteringPlatform]:
    """The platform, served on a free port."""
    platform = RegisteringPlatform()
    server = make_server("127.0.0.1", 0, platform, threaded=True)
    platform.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield platform
    server.shutdown()


def registration_path(cli: Cli) -> str:
    """The tenant's registration URL, as a path on the test client's host."""
    url = cli("lti", "registration-url", "--tenant", "acme", "--base-url", "http://localhost").output.strip()
    return url.removeprefix("http://localhost")


def test_dynamic_registration_stores_the_client_id_and_deployment_and_closes(
    cli: Cli, client: FlaskClient, runtime: Runtime, world: World, moodle: RegisteringPlatform
) -> None:
    response = client.get(
        registration_path(cli),
        query_string={
            "openid_configuration": moodle.url + "/.well-known/openid-configuration",
            "registration_token": "one-time-token",
        },
    )
    assert response.status_code == 200, response.text
    assert "lti-close.js" in response.text
    sent = moodle.received[0]
    assert sent["initiate_login_uri"] == "http://localhost/lti/login"
    assert sent["redirect_uris"] == ["http://localhost/lti/launch"]
    assert sent["jwks_uri"] == "http://localhost/lti/jwks.json"
    assert sent["scope"] == "https://purl.imsglobal.org/spec/lti-ags/scope/score"
    tool = sent["https://purl.imsglobal.org/spec/lti-tool-configuration"]
    assert tool["custom_parameters"] == {"xapi_user_id": "$User.id"}
    assert {m["type"] for m in tool["messages"]} == {"LtiResourceLinkRequest", "LtiDeepLinkingRequest"}
    assert moodle.authorisations == ["Bearer one-time-token", "Bearer one-time-token"]
    with runtime.unit_of_work(read_only=True) as uow:
        (registration,) = registrations_of(uow, world.tenant.id)
        assert (registration.issuer, registration.client_id) == (moodle.url, "moodle-client-7")
        (deployment,) = deployments_of(uow, registration.id)
        assert (deployment.deployment_id, deployment.status) == ("3", DeploymentStatus.ACTIVE)


def test_a_forged_registration_url_registers_nothing(
    client: FlaskClient, runtime: Runtime, world: World, moodle: RegisteringPlatform
) -> None:
    response = client.get(
        "/lti/register/forged-token",
        query_string={"openid_configuration": moodle.url + "/.well-known/openid-configuration"},
    )
    assert response.status_code == 400
    assert "not one Sweetspot issued" in response.text
    assert moodle.received == []


def test_a_platform_whose_issuer_is_another_host_is_refused(
    cli: Cli, client: FlaskClient, runtime: Runtime, world: World, moodle: RegisteringPlatform
) -> None:
    moodle.issuer_override = "https://elsewhere.example"
    response = client.get(
        registration_path(cli), query_string={"openid_configuration": moodle.url + "/.well-known/openid-configuration"}
    )
    assert response.status_code == 400
    assert "not the host its configuration came from" in response.text
    with runtime.unit_of_work(read_only=True) as uow:
        assert registrations_of(uow, world.tenant.id) == []
