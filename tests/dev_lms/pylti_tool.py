"""A minimal LTI 1.3 tool built on pylti1p3's Flask adapter, to prove the development LMS is a real platform.

It registers itself dynamically with pylti1p3's `DynamicRegistration`, validates launches with
`FlaskMessageLaunch`, answers deep-linking requests with `DeepLink`, and keeps each validated launch so
the test can read its claims.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Flask, jsonify, request
from jwcrypto import jwk
from markupsafe import escape
from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.dynamic_registration import DynamicRegistration
from pylti1p3.lineitem import LineItem
from pylti1p3.tool_config import ToolConfDict

from dev_lms import vocabulary as v


@dataclass
class ToolState:
    """What the tool knows: its key, its registrations with platforms, and the launches it validated."""

    base_url: str
    private_pem: str
    registrations: dict[str, dict[str, Any]] = field(default_factory=dict)
    launches: list[dict[str, Any]] = field(default_factory=list)

    def tool_conf(self) -> ToolConfDict:
        """pylti1p3's configuration of every platform this tool is registered with."""
        conf = ToolConfDict({issuer: [dict(entry)] for issuer, entry in self.registrations.items()})
        for issuer, entry in self.registrations.items():
            conf.set_private_key(issuer, self.private_pem, client_id=entry["client_id"])
        return conf

    def add_registration(self, issuer: str, client_id: str, deployment_id: str, configuration: dict[str, Any]) -> None:
        """Remember a platform registration (from dynamic registration, or made by hand)."""
        self.registrations[issuer] = {
            "default": True,
            "client_id": client_id,
            "auth_login_url": configuration["authorization_endpoint"],
            "auth_token_url": configuration["token_endpoint"],
            "key_set_url": configuration["jwks_uri"],
            "key_set": None,
            "deployment_ids": [deployment_id],
        }


def create_tool(state: ToolState) -> Flask:
    """The tool's Flask app."""
    app = Flask("pylti_tool")
    app.secret_key = "test-only-session-key"
    app.config["SESSION_COOKIE_NAME"] = "pylti_tool_session"
    key = jwk.JWK.from_pem(state.private_pem.encode())

    @app.get("/jwks")
    def jwks() -> Any:
        return jsonify({"keys": [{**key.export_public(as_dict=True), "alg": "RS256", "use": "sig"}]})

    @app.route("/login", methods=["GET", "POST"])
    def login() -> Any:
        target = request.values.get("target_link_uri", "")
        return FlaskOIDCLogin(FlaskRequest(), state.tool_conf()).redirect(target)

    @app.post("/launch")
    def launch() -> Any:
        message_launch = FlaskMessageLaunch(FlaskRequest(), state.tool_conf())
        data = message_launch.get_launch_data()
        state.launches.append(data)
        if message_launch.is_deep_link_launch():
            resource = (
                DeepLinkResource()
                .set_url(state.base_url + "/launch")
                .set_title("Momentum")
                .set_custom_params({"placement": "momentum"})
                .set_lineitem(LineItem().set_label("Learning momentum").set_score_maximum(100).set_tag("momentum"))
            )
            return message_launch.get_deep_link().output_response_form([resource])
        return jsonify({"sub": data["sub"], "roles": data[v.ROLES]})

    @app.get("/register")
    def register() -> Any:
        registration = _Registration(state, request.args["openid_configuration"], request.args["registration_token"])
        registration.register()
        return registration.complete_html()

    @app.get("/register-confirm")
    def ask_to_confirm() -> Any:
        fields = "".join(
            f'<input type="hidden" name="{name}" value="{escape(request.args[name])}">'
            for name in ("openid_configuration", "registration_token")
        )
        return f'<form method="post" action="register-confirm">{fields}<button>Register</button></form>'

    @app.post("/register-confirm")
    def confirmed() -> Any:
        form = request.form
        registration = _Registration(state, form["openid_configuration"], form["registration_token"])
        registration.register()
        return registration.complete_html()

    return app


class _Registration(DynamicRegistration):
    """pylti1p3's dynamic registration, told this tool's URLs."""

    client_name = "pylti1p3 test tool"
    description = "A tool built on pylti1p3"

    def __init__(self, state: ToolState, configuration_url: str, token: str) -> None:
        self.state = state
        self.configuration_url = configuration_url
        self.token = token

    def get_openid_configuration_endpoint(self) -> str:
        return self.configuration_url

    def get_registration_token(self) -> str:
        return self.token

    def get_initiate_login_uri(self) -> str:
        return self.state.base_url + "/login"

    def get_jwks_uri(self) -> str:
        return self.state.base_url + "/jwks"

    def get_redirect_uris(self) -> list[str]:
        return [self.state.base_url + "/launch"]

    def get_domain(self) -> str:
        return self.state.base_url.split("://", 1)[1]

    def get_target_link_uri(self) -> str:
        return self.state.base_url + "/launch"

    def get_logo_uri(self) -> str:
        return self.state.base_url + "/logo.png"

    def get_scopes(self) -> list[str]:
        return list(v.SERVICE_SCOPES)

    def get_claims(self) -> list[str]:
        return ["iss", "sub", "name", "given_name", "family_name", "email"]

    def get_messages(self) -> list[dict[str, str]]:
        return [
            {"type": v.RESOURCE_LINK_REQUEST, "target_link_uri": self.state.base_url + "/launch", "label": "Open"},
            {"type": v.DEEP_LINKING_REQUEST, "target_link_uri": self.state.base_url + "/launch", "label": "Add"},
        ]

    def complete_registration(self, openid_configuration: dict[str, Any], openid_registration: dict[str, Any]) -> Any:
        deployment_id = openid_registration[v.TOOL_CONFIGURATION]["deployment_id"]
        self.state.add_registration(
            openid_configuration["issuer"], openid_registration["client_id"], deployment_id, openid_configuration
        )
        return openid_registration
