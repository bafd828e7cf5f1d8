"""HTTP routes of the LTI tool."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, jsonify

from lti_tool.keys import SigningKey, key_set


def create_blueprint(signing_keys: Callable[[], list[SigningKey]]) -> Blueprint:
    """The LTI tool's routes, reading the tool's active keys through `signing_keys`."""
    blueprint = Blueprint("lti", __name__, url_prefix="/lti")

    @blueprint.get("/jwks.json")
    def jwks() -> Response:
        """The tool's public keys, for platforms verifying what the tool signs."""
        response = jsonify(key_set(signing_keys()))
        response.cache_control.public = True
        response.cache_control.max_age = 300
        return response

    return blueprint
