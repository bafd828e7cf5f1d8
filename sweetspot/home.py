"""The home page: what this Sweetspot installation serves, and what is not built yet."""

from __future__ import annotations

from flask import Blueprint, render_template


def create_blueprint() -> Blueprint:
    """The `/` page."""
    blueprint = Blueprint("home", __name__)

    @blueprint.get("/")
    def index() -> str:
        """Say honestly what is running here."""
        return render_template("home.html")

    return blueprint
