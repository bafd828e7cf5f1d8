"""HTTP routes of the xAPI listener, under /xapi/."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

SUPPORTED_VERSIONS = ("1.0.3", "2.0.0")


def create_blueprint() -> Blueprint:
    """The xAPI routes."""
    blueprint = Blueprint("xapi", __name__, url_prefix="/xapi")

    @blueprint.after_request
    def declare_version(response: Response) -> Response:
        # xAPI 1.0.3 Part Three §6.2 and xAPI 2.0 §2.1.1: every LRS response carries the version.
        requested = request.headers.get("X-Experience-API-Version", "")
        version = "2.0.0" if requested.startswith("2.0") else "1.0.3"
        response.headers["X-Experience-API-Version"] = version
        return response

    @blueprint.get("/about")
    def about() -> Response:
        """The About resource (xAPI 1.0.3 Part Three §7.7): the versions this LRS speaks; no auth."""
        return jsonify({"version": list(SUPPORTED_VERSIONS)})

    return blueprint
