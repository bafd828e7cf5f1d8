"""The reference for the launch benchmark: a minimal LTI 1.3 tool built the way pylti1p3's Flask example is.

One registration from the environment (ToolConfDict), OIDC login and launch with the library's Flask
adapters and nothing else: no database, no extra checks. Served by gunicorn like Sweetspot:

    REFERENCE_ISSUER=… REFERENCE_CLIENT_ID=… REFERENCE_DEPLOYMENT_ID=… REFERENCE_AUTH_URL=… \
    REFERENCE_JWKS_URL=… REFERENCE_SECRET=… gunicorn 'benchmarks.reference_lti_tool:create_app()'
"""

from __future__ import annotations

import os

from flask import Flask, request, url_for
from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest
from pylti1p3.tool_config import ToolConfDict


def create_app() -> Flask:
    """The reference tool, configured from REFERENCE_* environment variables."""
    app = Flask("reference")
    app.config["SECRET_KEY"] = os.environ["REFERENCE_SECRET"]
    issuer = os.environ["REFERENCE_ISSUER"]
    tool_conf = ToolConfDict(
        {
            issuer: [
                {
                    "default": True,
                    "client_id": os.environ["REFERENCE_CLIENT_ID"],
                    "auth_login_url": os.environ["REFERENCE_AUTH_URL"],
                    "auth_token_url": os.environ["REFERENCE_AUTH_URL"],
                    "key_set_url": os.environ["REFERENCE_JWKS_URL"],
                    "key_set": None,
                    "deployment_ids": [os.environ["REFERENCE_DEPLOYMENT_ID"]],
                }
            ]
        }
    )

    @app.route("/login", methods=["GET", "POST"])
    def login() -> object:
        oidc = FlaskOIDCLogin(FlaskRequest(), tool_conf)
        return oidc.redirect(request.host_url.rstrip("/") + url_for("launch"))

    @app.post("/launch")
    def launch() -> str:
        message = FlaskMessageLaunch(FlaskRequest(), tool_conf)
        body = message.get_launch_data()
        return f"hello {body.get('name', '')}"

    return app
