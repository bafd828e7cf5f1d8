"""Probes for load balancers and orchestrators: alive, and ready to serve."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from alignment.database import READ_ONLY
from sweetspot.database import schema_status
from sweetspot.runtime import Runtime


def create_blueprint(runtime: Runtime) -> Blueprint:
    """`/healthz` answers while the process runs; `/readyz` also needs a current database."""
    blueprint = Blueprint("health", __name__)

    @blueprint.get("/healthz")
    def healthz() -> Response:
        """The process is alive."""
        return jsonify({"status": "alive"})

    @blueprint.get("/readyz")
    def readyz() -> tuple[Response, int]:
        """The database is reachable and at the revision this code needs."""
        try:
            with runtime.engine.connect().execution_options(**{READ_ONLY: True}) as connection:
                connection.execute(text("SELECT 1"))
            status = schema_status(runtime.engine)
        except SQLAlchemyError as error:
            reason = f"database unreachable: {type(error).__name__}"
            return jsonify({"status": "not ready", "reason": reason}), 503
        if not status.is_current:
            return jsonify({"status": "not ready", "reason": status.describe()}), 503
        return jsonify({"status": "ready", "schema": list(status.current)}), 200

    return blueprint
