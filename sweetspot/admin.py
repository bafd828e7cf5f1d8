"""The admin pages: what an LMS admin launching Sweetspot manages for their organisation.

They sit in the composition layer because they span both edges: the LTI registrations and
deployments, and the xAPI listener's credentials and upstream connections.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import structlog
from cryptography.fernet import Fernet
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext, ngettext
from flask_babel.speaklater import LazyString
from werkzeug.wrappers import Response

from alignment.catalogue import import_framework
from alignment.database import UnitOfWorkFactory
from alignment.errors import Conflict
from alignment.frameworks import parse_framework_file, parse_people_csv
from alignment.people_import import import_people
from alignment.policies import SETTINGS, InvalidPolicy, StoredPolicy, current_policy, propose_policy
from alignment.policy_previews import RequestedPreview, preview_failed, request_preview, requested_preview
from alignment.replanning import change_policy
from alignment.rules.stalls import StallRule
from lti_tool import wording
from lti_tool.admission import Visitor
from lti_tool.grades import retry_now, score_status
from lti_tool.registrations import DeploymentStatus, deployments_of, registrations_of, set_deployment_status
from lti_tool.roles import Audience
from lti_tool.roster import roster_status
from lti_tool.web import only
from xapi_listener.connections import DEFAULT_EVERY_MINUTES, add_connection, list_connections, remove_connection
from xapi_listener.credentials import XAPI_VERSIONS, issue_credential, list_credentials, revoke_credential

log = structlog.get_logger(__name__)


def create_blueprint(
    unit_of_work: UnitOfWorkFactory,
    cipher: Fernet,
    push_scores: Callable[[int], object],
    work_out_preview: Callable[[int], object],
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
                "xapi_versions": XAPI_VERSIONS,
            }

    @blueprint.get("/")
    @only(Audience.ADMIN)
    def index(visitor: Visitor) -> str:
        """Registrations and deployments, xAPI credentials, upstream LRSs, gradebook and roster status."""
        return render_template("admin.html", **page(visitor), issued=None)

    def policy_page(
        visitor: Visitor,
        stored: StoredPolicy,
        fields: Mapping[str, str],
        based_on: int,
        errors: Mapping[str, str] | None = None,
        requested: RequestedPreview | None = None,
        problem: str | None = None,
    ) -> str:
        return render_template(
            "admin_policy.html", visitor=visitor, stored=stored, fields=fields, based_on=based_on,
            errors=errors or {}, requested=requested, problem=problem, words=SETTING_WORDS,
            stall_settings=STALL_SETTINGS, planning_settings=PLANNING_SETTINGS, rules=list(StallRule),
        )  # fmt: skip

    @blueprint.get("/policy")
    @only(Audience.ADMIN)
    def policy(visitor: Visitor) -> str:
        """The stall rules' settings, the quadrant thresholds and the gift budget, as a form; with `?preview=`,
        the values of a requested preview and, once a job has worked it out, what they would flag."""
        preview_id = request.args.get("preview", "")
        with unit_of_work(read_only=True) as uow:
            stored = current_policy(uow, visitor.tenant_id)
            if not preview_id:
                return policy_page(visitor, stored, _fields(stored.policy.values()), stored.version)
            if not preview_id.isdigit():
                abort(404, gettext("There is no such preview."))
            requested = requested_preview(uow, visitor.tenant_id, int(preview_id))
        return policy_page(visitor, stored, _fields(requested.proposed), requested.based_on, requested=requested)

    @blueprint.post("/policy")
    @only(Audience.ADMIN)
    def change_policy_settings(visitor: Visitor) -> Response | tuple[str, int] | str:
        """Preview what proposed settings would flag today (nothing is written), or save them as the next version."""
        action = request.form.get("action", "")
        if action not in ("preview", "save"):
            abort(400, gettext("Choose Preview or Save."))
        try:
            based_on = int(request.form.get("version", ""))
        except ValueError:
            abort(400, gettext("The form is incomplete. Reload the page and try again."))
        fields = {name: request.form.get(name, "").strip() for name in SETTINGS}
        values, errors = _read_numbers(fields)
        with unit_of_work(read_only=True) as uow:
            stored = current_policy(uow, visitor.tenant_id)
        try:
            proposed = propose_policy(stored.policy, values)
        except InvalidPolicy as refused:
            errors |= {name: wording.say(problem) for name, problem in refused.problems.items() if name not in errors}
        if errors:
            return policy_page(visitor, stored, fields, based_on, errors=errors), 400
        now = datetime.now(UTC)
        if action == "preview":
            with unit_of_work() as uow:
                preview_id = request_preview(uow, visitor.tenant_id, proposed, based_on, visitor.person_id, now)
                uow.commit()
            try:
                work_out_preview(preview_id)
            except Exception as error:
                log.warning("could not enqueue the settings preview", preview_id=preview_id, exc_info=True)
                with unit_of_work() as uow:
                    preview_failed(uow, preview_id, f"not queued: {type(error).__name__}: {error}", now)
                    uow.commit()
            return redirect(url_for("admin.policy", preview=preview_id), 303)
        try:
            with unit_of_work() as uow:
                saved, replanned = change_policy(
                    uow, visitor.tenant_id, values, now, based_on=based_on, changed_by_id=visitor.person_id
                )
                uow.commit()
        except Conflict:
            with unit_of_work(read_only=True) as uow:
                stored = current_policy(uow, visitor.tenant_id)
            stale = gettext(
                "Nothing was saved: someone saved these settings after you opened the page. "
                "They are shown as they are now; make your change again."
            )
            return policy_page(visitor, stored, _fields(stored.policy.values()), stored.version, problem=stale), 409
        flash(
            gettext("The settings are saved as version %(version)s; the next sweep uses them.", version=saved.version)
        )
        if replanned:
            flash(ngettext("%(num)d roadmap was re-planned.", "%(num)d roadmaps were re-planned.", replanned))
        return redirect(url_for("admin.policy"), 303)

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
                uow, visitor.tenant_id, request.form.get("read_only") == "1", request.form.get("label", ""),
                request.form.get("xapi_version", XAPI_VERSIONS[0]),
            )  # fmt: skip
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
        name, text = _uploaded_text("framework", gettext("Choose a CSV file or a CASE package (.json) to import."))
        framework = parse_framework_file(name, text)
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

    @blueprint.post("/people")
    @only(Audience.ADMIN)
    def import_people_file(visitor: Visitor) -> Response:
        """Import what HR knows of people: since when each holds their role, and its name."""
        name, text = _uploaded_text("people", gettext("Choose a people CSV file to import."))
        now = datetime.now(UTC)
        rows = parse_people_csv(text, now.date())
        with unit_of_work() as uow:
            summary = import_people(uow, visitor.tenant_id, rows, now)
            uow.commit()
        flash(
            gettext(
                "%(file)s: %(created)s added, %(updated)s updated, %(unchanged)s unchanged.",
                file=name, created=summary.created, updated=summary.updated, unchanged=summary.unchanged,
            )
        )  # fmt: skip
        if summary.replanned:
            flash(
                ngettext(
                    "%(num)d roadmap re-planned for a new role.",
                    "%(num)d roadmaps re-planned for a new role.",
                    summary.replanned,
                )
            )
        if summary.unmatched:
            flash(
                gettext(
                    "No one has the email on line(s) %(lines)s, so those lines were not imported.",
                    lines=", ".join(map(str, summary.unmatched)),
                )
            )
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


STALL_SETTINGS = (
    "never_started_days",
    "quiet_days",
    "overdue_grace_days",
    "slip_share",
    "plateau_tenure_days",
    "plateau_window_days",
    "plateau_drop_ratio",
    "avoidance_window_days",
)
PLANNING_SETTINGS = ("personal_threshold", "org_threshold", "gift_budget_hours_per_quarter")

# Each setting's label and the hint beside it, in the admin's language.
SETTING_WORDS: dict[str, tuple[LazyString, LazyString]] = {
    "never_started_days": (
        lazy_gettext("Never started: days"),
        lazy_gettext("Flag a learner who has done no learning at all this many days after joining."),
    ),
    "quiet_days": (
        lazy_gettext("Gone quiet: days"),
        lazy_gettext(
            "Flag a learner with no learning activity for this many days (low severity when that is their usual "
            "rhythm)."
        ),
    ),
    "overdue_grace_days": (
        lazy_gettext("Behind pace: days of grace"),
        lazy_gettext("Flag a roadmap item this many days after its due date or planned finish."),
    ),
    "slip_share": (
        lazy_gettext("Behind pace: slip allowed"),
        lazy_gettext(
            "Flag a roadmap whose projected finish slips by more than this share of its planned length (0.25 is "
            "a quarter)."
        ),
    ),
    "plateau_tenure_days": (
        lazy_gettext("Plateau: days in the role"),
        lazy_gettext("The plateau rule looks only at people this long in their role (730 is two years)."),
    ),
    "plateau_window_days": (
        lazy_gettext("Plateau: window in days"),
        lazy_gettext("Active days in the latest window are compared with the window before."),
    ),
    "plateau_drop_ratio": (
        lazy_gettext("Plateau: drop that flags"),
        lazy_gettext(
            "Flag when the latest window has fewer than this share of the active days of the window before "
            "(between 0 and 1)."
        ),
    ),
    "avoidance_window_days": (
        lazy_gettext("Uphill avoidance: days looked back"),
        lazy_gettext(
            "Flag a learner whose every activity in this many days was a gift while uphill or mandatory items wait."
        ),
    ),
    "personal_threshold": (
        lazy_gettext("Learner's interest threshold"),
        lazy_gettext(
            "An opportunity counts as wanted when the learner's interest in its skills reaches this value (more "
            "than 0, at most 1)."
        ),
    ),
    "org_threshold": (
        lazy_gettext("Organisation's need threshold"),
        lazy_gettext(
            "An opportunity counts as needed when the organisation's need for its skills reaches this value "
            "(more than 0, at most 1)."
        ),
    ),
    "gift_budget_hours_per_quarter": (
        lazy_gettext("Gift budget: hours a quarter"),
        lazy_gettext(
            "Hours of gifts (wanted by the learner, not needed by the organisation) a roadmap may hold each quarter."
        ),
    ),
}


def _uploaded_text(field: str, missing: str) -> tuple[str, str]:
    """The name and UTF-8 text of the file uploaded as `field`; 400 with `missing` when there is none."""
    upload = request.files.get(field)
    if upload is None or not upload.filename:
        abort(400, missing)
    try:
        return upload.filename, upload.read().decode("utf-8-sig")
    except UnicodeDecodeError:
        abort(400, gettext("%(file)s is not UTF-8 text.", file=upload.filename))


def _fields(values: Mapping[str, float]) -> dict[str, str]:
    """Settings as the form shows them (plain digits, as number inputs take them)."""
    return {name: f"{value:g}" for name, value in values.items()}


def _read_numbers(fields: Mapping[str, str]) -> tuple[dict[str, float], dict[str, str]]:
    """The form's settings as numbers, and a message for each that is not one."""
    values: dict[str, float] = {}
    errors: dict[str, str] = {}
    for name, text in fields.items():
        # A number input sends digits with a point; someone typing "0,5" without one means the same.
        candidate = text.replace(",", ".", 1) if text.count(",") == 1 and "." not in text else text
        try:
            value = float(candidate)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            errors[name] = gettext("Enter a number.") if not text else gettext("%(value)s is not a number.", value=text)
            continue
        values[name] = value
    return values, errors
