"""The pages people see after a launch: learner, manager and admin views of the alignment engine."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from alignment.database import UnitOfWorkFactory
from lti_tool.web import current_visitor


def create_blueprint(unit_of_work: UnitOfWorkFactory) -> Blueprint:
    """The `/app/` pages, each reached only through a launch."""
    blueprint = Blueprint("pages", __name__, url_prefix="/app", template_folder="templates")

    @blueprint.get("/")
    def start() -> str:
        """Where a launch lands."""
        visitor = current_visitor()
        if visitor is None:
            abort(401, "Open Sweetspot from your LMS course: this page is reached through a launch.")
        return render_template("pages/start.html", visitor=visitor)

    return blueprint
