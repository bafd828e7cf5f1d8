"""The admin pages: what an LMS admin launching Sweetspot manages for their organisation.

They sit in the composition layer because they span both edges: the LTI registrations and
deployments, and the xAPI listener's credentials and upstream connections.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from cryptography.fernet import Fernet
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, ngettext
from werkzeug.wrappers import Response

from alignment.catalogue import import_framework
from alignment.database import UnitOfWorkFactory
from alignment.frameworks import parse_framework_file
from lti_tool import wording
from lti_tool.admission import Visitor
from lti_tool.grades import retry_now, score_status
from lti_tool.registrations import DeploymentStatus, deployments_of, registrations_of, set_deployment_status
from lti_tool.roles import Audience
from lti_tool.roster import roster_status
from lti_tool.web import only
from xapi_listener.connections import DEFAULT_EVERY_MINUTES, add_connection, list_connections, remove_connection
from xapi_listener.credentials import issue_credential, list_credentials, revoke_credential


def create_blueprint(
    unit_of_work: UnitOfWorkFactory, cipher: Fernet, push_scores: Callable[[int], object]
) -> Blueprint:
    """The `/app/admin/` pages, for visitors who launched as institution or system administrators."""
    blueprint = Blueprint("admin", __name__, url_prefix="/app/admin")

    def page(visitor: Visitor) -> dict[str, Any]:
        with unit_of_work(read_only=True) as uow:
            return {
                "visitor": visitor,
                "platforms": [(r, deployments_of(uow, r.id)) for r in registrations_of(uow, visitor.tenant_id)],
                "credentials": list_credentials(uow, visitor.tenant_id),
                "connections": list_connections(uow, visitor.tenant_id, datetime.now(UTC)),
                "scores": score_status(uow, visitor.tenant_id),
                "rosters": roster_status(uow, visitor.tenant_id),
            }

    @blueprint.get("/")
    @only(Audience.ADMIN)
    def index(visitor: Visitor) -> str:
        """Registrations and deployments, and the tenant's xAPI credentials."""
        with unit_of_work(read_only=True) as uow:
            platforms = [(r, deployments_of(uow, r.id)) for r in registrations_of(uow, visitor.tenant_id)]
            credentials = list_credentials(uow, visitor.tenant_id)
        return render_template("admin.html", visitor=visitor, platforms=platforms, credentials=credentials, issued=None)

    @blueprint.post("/deployments/<int:deployment_key>")
    @only(Audience.ADMIN)
    def deployment_status(visitor: Visitor, deployment_key: int) -> Response:
        """Activate or disable one of the tenant's deployments."""
        wanted = request.form.get("status", "")
        if wanted not in (DeploymentStatus.ACTIVE.value, DeploymentStatus.DISABLED.value):
            abort(400, gettext("status must be active or disabled"))
        with unit_of_work() as uow:
            changed = set_deployment_status(uow, visitor.tenant_id, deployment_key, DeploymentStatus(wanted))
            uow.commit()
        flash(
            gettext(
                "Deployment %(deployment)s is %(status)s.",
                deployment=changed.deployment_id,
                status=wording.label(changed.status),
            )
        )
        return redirect(url_for("admin.index"), 303)

    @blueprint.post("/credentials")
    @only(Audience.ADMIN)
    def create_credential(visitor: Visitor) -> str:
        """Issue an xAPI credential; its secret is shown on this page once."""
        with unit_of_work() as uow:
            issued = issue_credential(
                uow, visitor.tenant_id, request.form.get("read_only") == "1", request.form.get("label", "")
            )
            uow.commit()
        return render_template("admin.html", **page(visitor), issued=issued)

    @blueprint.post("/credentials/<key>/revoke")
    @only(Audience.ADMIN)
    def revoke(visitor: Visitor, key: str) -> Response:
        """Stop an xAPI credential of this tenant from working."""
        with unit_of_work() as uow:
            revoked = revoke_credential(uow, key, visitor.tenant_id)
            uow.commit()
        flash(gettext("Credential %(key)s is revoked.", key=revoked.key))
        return redirect(url_for("admin.index"), 303)

    @blueprint.post("/connections")
    @only(Audience.ADMIN)
    def add_upstream(visitor: Visitor) -> Response:
        """Pull statements from an upstream LRS on a schedule; the secret is stored encrypted."""
        form = request.form
        try:
            every = int(form.get("every_minutes", "") or DEFAULT_EVERY_MINUTES)
        except ValueError:
            abort(400, gettext("pull every must be a whole number of minutes"))
        with unit_of_work() as uow:
            added = add_connection(
                uow, cipher, visitor.tenant_id, form.get("endpoint", ""), form.get("key", ""), form.get("secret", ""),
                datetime.now(UTC), every, form.get("label", ""),
            )  # fmt: skip
            uow.commit()
        flash(
            ngettext(
                "Sweetspot will pull from %(endpoint)s every %(num)d minute.",
                "Sweetspot will pull from %(endpoint)s every %(num)d minutes.",
                added.every_minutes,
                endpoint=added.endpoint,
            )
        )
        return redirect(url_for("admin.index"), 303)

    @blueprint.post("/connections/<int:connection_id>/remove")
    @only(Audience.ADMIN)
    def remove_upstream(visitor: Visitor, connection_id: int) -> Response:
        """Stop pulling from an upstream LRS; what was pulled stays."""
        with unit_of_work() as uow:
            remove_connection(uow, visitor.tenant_id, connection_id, datetime.now(UTC))
            uow.commit()
        flash(gettext("The connection is removed; statements already pulled stay."))
        return redirect(url_for("admin.index"), 303)

    @blueprint.post("/skills")
    @only(Audience.ADMIN)
    def import_skills(visitor: Visitor) -> Response:
        """Import the organisation's competency framework: a skills CSV or a 1EdTech CASE package."""
        upload = request.files.get("framework")
        if upload is None or not upload.filename:
            abort(400, gettext("Choose a CSV file or a CASE package (.json) to import."))
        try:
            text = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            abort(400, gettext("%(file)s is not UTF-8 text.", file=upload.filename))
        framework = parse_framework_file(upload.filename, text)
        with unit_of_work() as uow:
            summary = import_framework(uow, visitor.tenant_id, framework)
            uow.commit()
        flash(
            gettext(
                "%(title)s: %(created)s skills created, %(updated)s updated, %(unchanged)s unchanged.",
                title=framework.title, created=summary.created, updated=summary.updated, unchanged=summary.unchanged,
            )
        )  # fmt: skip
        return redirect(url_for("admin.index"), 303)

    @blueprint.post("/grades/retry")
    @only(Audience.ADMIN)
    def retry_grades(visitor: Visitor) -> Response:
        """Send every score that is due or failed to the LMS now."""
        with unit_of_work() as uow:
            contexts = retry_now(uow, visitor.tenant_id, datetime.now(UTC))
            uow.commit()
        for context_id in contexts:
            push_scores(context_id)
        flash(
            ngettext(
                "Sending the due scores of %(num)d course to the LMS now.",
                "Sending the due scores of %(num)d courses to the LMS now.",
                len(contexts),
            )
        )
        return redirect(url_for("admin.index"), 303)

    return blueprint
