"""The pages people see after a launch: learner, manager and admin views of the alignment engine.

Every view starts from the visitor a launch put in the session and checks their audience; ids in
URLs are always looked up within the visitor's tenant and context, so another tenant's or another
team's ids answer 404. Forms carry CSRF tokens (Flask-WTF, set up by the app).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from alignment import sentences
from alignment.agendas import (
    DEFAULT_WEEKLY_HOURS,
    current_org_agenda,
    current_personal_agenda,
    role_labels,
    set_org_agenda,
    set_personal_agenda,
)
from alignment.catalogue import list_skills
from alignment.dashboards import learner_view, team_quadrants, team_view
from alignment.database import UnitOfWorkFactory
from alignment.errors import DomainError, NotFound
from alignment.flags import acknowledge_flag, flags_of, resolve_flag
from alignment.frameworks import OPPORTUNITY_KINDS
from alignment.objectives import KeyResultKind, set_objective, team_objective
from alignment.opportunities import (
    ACTIVE,
    DISCOVERED,
    Opportunity,
    OpportunityDraft,
    get_opportunity,
    list_opportunities,
    update_opportunity,
)
from alignment.people import Role, clean_role_label, get_context, roster
from alignment.replanning import replan_context, replan_person, replan_tenant
from alignment.roadmaps import Trigger
from alignment.rules.quadrants import Interest, Need, Quadrant
from lti_tool import deep_linking, wording
from lti_tool.admission import Visitor
from lti_tool.keys import KeyRing
from lti_tool.registrations import (
    get_registration,
)
from lti_tool.roles import Audience
from lti_tool.web import only, visitor_or_401

View = TypeVar("View", bound=Callable[..., Any])
MANAGING = (Audience.MANAGER, Audience.MENTOR, Audience.ADMIN)
TEAM_SORTS = ("momentum", "name", "flags", "last_activity", "progress")


def create_blueprint(unit_of_work: UnitOfWorkFactory, keys: KeyRing) -> Blueprint:
    """The `/app/` pages, each reached only through a launch."""
    blueprint = Blueprint("pages", __name__, url_prefix="/app", template_folder="templates")
    blueprint.add_app_template_global(wording.label, "label")
    blueprint.add_app_template_global(wording.sort_label, "sort_label")
    blueprint.add_app_template_global(wording.score_state_label, "score_state_label")
    blueprint.add_app_template_global(wording.say, "say")
    blueprint.add_app_template_global(wording.evidence, "evidence")
    blueprint.add_app_template_global(Quadrant, "Quadrant")
    blueprint.add_app_template_filter(wording.plural_count, "plural_count")

    def visible_learners(visitor: Visitor) -> list[int] | None:
        """The learners a visitor may see: everyone in the context, or a mentor's mentees."""
        if visitor.audience is not Audience.MENTOR:
            return None
        with unit_of_work(read_only=True) as uow:
            context = get_context(uow, visitor.tenant_id, visitor.context_id)
            return [
                m.person.id
                for m in roster(uow, context, Role.LEARNER)
                if m.person.lms_user_id in set(visitor.mentee_lms_ids)
            ]

    @blueprint.get("/")
    def start() -> Response:
        """Where a launch lands: learners to their agenda (first time) or roadmap, others to their pages."""
        visitor = visitor_or_401()
        if visitor.message_type == "LtiDeepLinkingRequest" and visitor.audience in (Audience.MANAGER, Audience.ADMIN):
            return redirect(url_for("pages.deep_link"))
        if visitor.audience is Audience.LEARNER:
            with unit_of_work(read_only=True) as uow:
                agenda = current_personal_agenda(uow, visitor.tenant_id, visitor.person_id)
            return redirect(url_for("pages.roadmap" if agenda else "pages.agenda"))
        if visitor.audience is Audience.ADMIN:
            return redirect(url_for("admin.index"))
        return redirect(url_for("pages.team"))

    @blueprint.route("/agenda", methods=["GET", "POST"])
    @only(Audience.LEARNER)
    def agenda(visitor: Visitor) -> Response | tuple[str, int]:
        """The learner's growth agenda: interest in each skill, aspirations, weekly hours."""
        with unit_of_work(read_only=True) as uow:
            skills = list_skills(uow, visitor.tenant_id)
            agenda = current_personal_agenda(uow, visitor.tenant_id, visitor.person_id)
        error = None
        if request.method == "POST":
            try:
                interests, aspirations, hours = _agenda_form(request.form, {s.id for s in skills})
                with unit_of_work() as uow:
                    set_personal_agenda(uow, visitor.tenant_id, visitor.person_id, interests, aspirations, hours)
                    replan_person(
                        uow, visitor.tenant_id, visitor.person_id, Trigger.AGENDA, sentences.REPLAN_AGENDA(), _now()
                    )
                    uow.commit()
                flash(gettext("Your agenda is saved and your roadmap re-planned."))
                return redirect(url_for("pages.roadmap"), 303)
            except (DomainError, ValueError) as problem:
                error = _said(problem)
        by_category: dict[str, list[Any]] = {}
        for skill in skills:
            by_category.setdefault(skill.category or "", []).append(skill)
        current = dict(agenda.interests) if agenda else {}
        return render_template(
            "pages/agenda.html",
            visitor=visitor,
            first_time=agenda is None,
            by_category=by_category,
            current=current,
            interests=list(Interest),
            aspirations=agenda.aspirations if agenda else "",
            weekly_hours=agenda.weekly_hours if agenda else DEFAULT_WEEKLY_HOURS,
            error=error,
            form=request.form if error else None,
        ), (400 if error else 200)

    @blueprint.get("/roadmap")
    @only(Audience.LEARNER)
    def roadmap(visitor: Visitor) -> str:
        """The learner's dated roadmap, its history, and where their opportunities fall."""
        with unit_of_work(read_only=True) as uow:
            view = learner_view(uow, visitor.tenant_id, visitor.context_id, visitor.person_id, _now())
        return render_template("pages/roadmap.html", visitor=visitor, view=view, quadrants=list(Quadrant))

    @blueprint.get("/team")
    @only(*MANAGING)
    def team(visitor: Visitor) -> str:
        """The team table: momentum, quadrant mix, progress, last activity and open flags, sortable."""
        sort = request.args.get("sort", "momentum")
        if sort not in TEAM_SORTS:
            abort(400, gettext("sort must be one of %(sorts)s", sorts=", ".join(TEAM_SORTS)))
        only_flagged = request.args.get("flagged") == "1"
        visible = visible_learners(visitor)
        with unit_of_work(read_only=True) as uow:
            rows = team_view(uow, visitor.tenant_id, visitor.context_id, _now(), visible)
            spread = team_quadrants(uow, visitor.tenant_id, visitor.context_id, _now(), visible)
            context = get_context(uow, visitor.tenant_id, visitor.context_id)
        if only_flagged:
            rows = [r for r in rows if r.open_flags]
        rows.sort(key=_team_key(sort))
        return render_template(
            "pages/team.html", visitor=visitor, rows=rows, sort=sort, flagged=only_flagged, context=context,
            quadrants=list(Quadrant), sorts=TEAM_SORTS, spread=spread,
        )  # fmt: skip

    @blueprint.get("/team/<int:person_id>")
    @only(*MANAGING)
    def learner(visitor: Visitor, person_id: int) -> str:
        """One learner for their manager: agenda, roadmap, activity, and flags with the suggested conversation."""
        allowed = visible_learners(visitor)
        with unit_of_work(read_only=True) as uow:
            view = learner_view(uow, visitor.tenant_id, visitor.context_id, person_id, _now())
            all_flags = flags_of(uow, visitor.tenant_id, visitor.context_id, person_id, include_resolved=True)
        if not view.name or (allowed is not None and person_id not in allowed):
            abort(404, gettext("There is no such learner in this course."))
        return render_template(
            "pages/learner.html", visitor=visitor, view=view, all_flags=all_flags, quadrants=list(Quadrant)
        )

    @blueprint.route("/org-agenda", methods=["GET", "POST"])
    @only(Audience.MANAGER, Audience.ADMIN)
    def org_agenda(visitor: Visitor) -> Response | tuple[str, int]:
        """What the organisation needs in this course: each skill's need and its why, and mandatory items;
        with `?role=`, what it needs of learners with that role label, over the course's agenda."""
        role = clean_role_label(request.args.get("role", ""))
        with unit_of_work(read_only=True) as uow:
            skills = list_skills(uow, visitor.tenant_id)
            opportunities = list_opportunities(uow, visitor.tenant_id)
            current = current_org_agenda(uow, visitor.tenant_id, visitor.context_id, role)
            roles = role_labels(uow, visitor.tenant_id, visitor.context_id)
        error = None
        if request.method == "POST":
            try:
                needs, mandatory = _org_agenda_form(
                    request.form, {s.id for s in skills}, {o.id for o in opportunities}, for_role=bool(role)
                )
                with unit_of_work() as uow:
                    set_org_agenda(
                        uow,
                        visitor.tenant_id,
                        visitor.context_id,
                        needs,
                        mandatory,
                        role_label=role,
                        author_id=visitor.person_id,
                    )
                    replan_context(
                        uow, visitor.tenant_id, visitor.context_id, Trigger.ORG_AGENDA,
                        sentences.REPLAN_ORG_AGENDA(), _now(),
                    )  # fmt: skip
                    uow.commit()
                flash(gettext("The organisation's agenda is saved and the team's roadmaps re-planned."))
                return redirect(url_for("pages.org_agenda", role=role or None), 303)
            except (DomainError, ValueError) as problem:
                error = _said(problem)
        by_category: dict[str, list[Any]] = {}
        for skill in skills:
            by_category.setdefault(skill.category or "", []).append(skill)
        return render_template(
            "pages/org_agenda.html", visitor=visitor, by_category=by_category, needs=list(Need),
            current=current, opportunities=opportunities, error=error, form=request.form if error else None,
            role=role, roles=sorted({*roles, role} - {""}, key=str.casefold),
        ), (400 if error else 200)  # fmt: skip

    @blueprint.get("/opportunities")
    @only(Audience.MANAGER, Audience.ADMIN)
    def opportunities(visitor: Visitor) -> str:
        """The catalogue of opportunities, and the activities seen in statements that wait for skill tags."""
        with unit_of_work(read_only=True) as uow:
            found = list_opportunities(uow, visitor.tenant_id, (ACTIVE, DISCOVERED))
            skills = {s.id: s.name for s in list_skills(uow, visitor.tenant_id)}
        return render_template(
            "pages/opportunities.html",
            visitor=visitor,
            active=[o for o in found if o.status == ACTIVE],
            discovered=[o for o in found if o.status == DISCOVERED],
            skills=skills,
        )

    @blueprint.route("/opportunities/<int:opportunity_id>", methods=["GET", "POST"])
    @only(Audience.MANAGER, Audience.ADMIN)
    def opportunity(visitor: Visitor, opportunity_id: int) -> Response | tuple[str, int]:
        """Describe an opportunity: its skills and weights, the xAPI activities and LTI links it matches."""
        with unit_of_work(read_only=True) as uow:
            found = get_opportunity(uow, visitor.tenant_id, opportunity_id)
            skills = list_skills(uow, visitor.tenant_id)
        error = None
        if request.method == "POST":
            try:
                draft = _opportunity_form(request.form, {s.id for s in skills}, found)
                with unit_of_work() as uow:
                    update_opportunity(uow, visitor.tenant_id, opportunity_id, draft)
                    replan_tenant(
                        uow, visitor.tenant_id, Trigger.OPPORTUNITIES, sentences.REPLAN_OPPORTUNITY(title=draft.title),
                        _now(),
                    )  # fmt: skip
                    uow.commit()
                flash(gettext("“%(title)s” is saved; roadmaps are re-planned.", title=draft.title))
                return redirect(url_for("pages.opportunities"), 303)
            except (DomainError, ValueError) as problem:
                error = _said(problem)
        return render_template(
            "pages/opportunity.html", visitor=visitor, opportunity=found, skills=skills, kinds=OPPORTUNITY_KINDS,
            error=error, form=request.form if error else None,
        ), (400 if error else 200)  # fmt: skip

    @blueprint.route("/objective", methods=["GET", "POST"])
    @only(Audience.MANAGER, Audience.ADMIN)
    def objective(visitor: Visitor) -> Response | tuple[str, int]:
        """The team's learning objective for the quarter, its key results from the data, and their trend."""
        now = _now()
        quarter = request.values.get("quarter") or f"{now.year}-Q{(now.month - 1) // 3 + 1}"
        error = None
        if request.method == "POST":
            try:
                targets = {}
                for kind in KeyResultKind:
                    value = request.form.get(f"target-{kind.value}", "").strip()
                    if value:
                        try:
                            targets[kind.value] = float(value) / 100
                        except ValueError:
                            raise ValueError(
                                gettext("the target %(value)s is not a percentage", value=repr(value))
                            ) from None
                with unit_of_work() as uow:
                    set_objective(
                        uow, visitor.tenant_id, visitor.context_id, quarter, request.form.get("statement", ""),
                        targets, author_id=visitor.person_id,
                    )  # fmt: skip
                    uow.commit()
                flash(gettext("The team's objective for %(quarter)s is saved.", quarter=quarter))
                return redirect(url_for("pages.objective", quarter=quarter), 303)
            except (DomainError, ValueError) as problem:
                error = _said(problem)
        with unit_of_work(read_only=True) as uow:
            try:
                current = team_objective(uow, visitor.tenant_id, visitor.context_id, quarter, now)
            except NotFound:
                current = None
        return render_template(
            "pages/objective.html", visitor=visitor, quarter=quarter, objective=current, kinds=list(KeyResultKind),
            error=error, form=request.form if error else None,
        ), (400 if error else 200)  # fmt: skip

    @blueprint.post("/flags/<int:flag_id>")
    @only(*MANAGING)
    def flag_action(visitor: Visitor, flag_id: int) -> Response:
        """Acknowledge or resolve a flag of a learner in this course, with a note."""
        action = request.form.get("action")
        note = request.form.get("note", "")
        allowed = visible_learners(visitor)
        with unit_of_work() as uow:
            flag = next((f for f in flags_of(uow, visitor.tenant_id, visitor.context_id) if f.id == flag_id), None)
            if flag is None or (allowed is not None and flag.person_id not in allowed):
                abort(404, gettext("There is no such open flag in this course."))
            try:
                if action == "acknowledge":
                    acknowledge_flag(uow, visitor.tenant_id, flag_id, visitor.person_id, note, _now())
                    done = gettext("Flag acknowledged.")
                elif action == "resolve":
                    resolve_flag(uow, visitor.tenant_id, flag_id, visitor.person_id, note, _now())
                    done = gettext("Flag resolved.")
                else:
                    abort(400, gettext("action must be acknowledge or resolve"))
                uow.commit()
                flash(done)
            except DomainError as problem:
                flash(_said(problem), "error")
        return redirect(url_for("pages.learner", person_id=flag.person_id), 303)

    @blueprint.route("/deep-link", methods=["GET", "POST"])
    @only(Audience.MANAGER, Audience.ADMIN)
    def deep_link(visitor: Visitor) -> str:
        """Pick what to place in the course; the choice goes back to the platform as a signed response."""
        settings = visitor.deep_linking
        if visitor.message_type != "LtiDeepLinkingRequest" or not settings:
            abort(400, gettext("Placing content starts from the LMS's “add an activity” (deep linking) screen."))
        with unit_of_work(read_only=True) as uow:
            opportunities = list_opportunities(uow, visitor.tenant_id)
            registration = get_registration(uow, visitor.tenant_id, visitor.registration_id)
        if request.method == "GET":
            return render_template("pages/deep_link.html", visitor=visitor, opportunities=opportunities)
        tool_url = request.host_url.rstrip("/") + url_for("pages.start")
        accepts_line_item = settings.get("accept_lineitem", True) is not False
        titles = {str(o.id): o.title for o in opportunities}
        items = []
        for choice in request.form.getlist("place"):
            if choice == "roadmap":
                items.append(deep_linking.roadmap_item(tool_url, accepts_line_item))
            elif choice == "team":
                items.append(deep_linking.team_item(tool_url))
            elif choice.startswith("opportunity-") and choice.removeprefix("opportunity-") in titles:
                number = choice.removeprefix("opportunity-")
                items.append(deep_linking.opportunity_item(tool_url, int(number), titles[number]))
            else:
                abort(400, gettext("%(choice)s is not something Sweetspot can place", choice=repr(choice)))
        if not items or (len(items) > 1 and settings.get("accept_multiple") is False):
            abort(
                400,
                gettext("Pick one thing to place.")
                if not items
                else gettext("Pick one thing to place; this LMS takes one at a time."),
            )
        token = deep_linking.response_token(keys.signing, registration, visitor.deployment_id, settings, items)
        return render_template(
            "pages/deep_link_return.html", visitor=visitor, return_url=settings["deep_link_return_url"], jwt=token
        )

    return blueprint


def _now() -> datetime:
    return datetime.now(UTC)


def _said(problem: Exception) -> str:
    """What was wrong with a form, in the visitor's language: the domain's message, or the form's own words."""
    return wording.say(problem.message) if isinstance(problem, DomainError) else str(problem)


def _agenda_form(form: Any, skill_ids: set[int]) -> tuple[dict[int, int], str, float]:
    interests: dict[int, int] = {}
    for name, value in form.items():
        if not name.startswith("skill-"):
            continue
        try:
            skill_id, level = int(name.removeprefix("skill-")), int(value)
        except ValueError:
            raise ValueError(gettext("%(field)s must be a whole number from 0 to 3", field=name)) from None
        if skill_id not in skill_ids:
            raise ValueError(gettext("skill %(id)s is not in this organisation's catalogue", id=skill_id))
        interests[skill_id] = level
    try:
        hours = float(form.get("weekly_hours", "") or DEFAULT_WEEKLY_HOURS)
    except ValueError:
        raise ValueError(gettext("weekly hours must be a number, e.g. 2 or 1.5")) from None
    return interests, form.get("aspirations", ""), hours


def _org_agenda_form(
    form: Any, skill_ids: set[int], opportunity_ids: set[int], for_role: bool
) -> tuple[dict[int, tuple[int, str]], dict[int, date]]:
    """The needs and mandatory items the form sets. On a role's agenda a skill left "as for the whole course"
    (no value) is not named, so the course's need holds for it."""
    needs: dict[int, tuple[int, str]] = {}
    for skill_id in skill_ids:
        value = form.get(f"need-{skill_id}", "" if for_role else "0")
        if for_role and value == "":
            continue
        try:
            need = int(value)
        except ValueError:
            raise ValueError(
                gettext("%(field)s must be a whole number from 0 to 3", field=f"need-{skill_id}")
            ) from None
        why = form.get(f"why-{skill_id}", "")
        if need or why.strip() or for_role:
            needs[skill_id] = (need, why)
    mandatory: dict[int, date] = {}
    for opportunity_id in opportunity_ids:
        due = form.get(f"due-{opportunity_id}", "").strip()
        if due:
            try:
                mandatory[opportunity_id] = date.fromisoformat(due)
            except ValueError:
                raise ValueError(gettext("the due date %(due)s is not a date (YYYY-MM-DD)", due=repr(due))) from None
    return needs, mandatory


def _opportunity_form(form: Any, skill_ids: set[int], current: Opportunity) -> OpportunityDraft:
    try:
        hours = float(form.get("effort_hours", ""))
    except ValueError:
        raise ValueError(gettext("effort hours must be a number, e.g. 4 or 1.5")) from None
    weights: dict[int, float] = {}
    for skill_id in skill_ids:
        value = form.get(f"weight-{skill_id}", "").strip()
        if value:
            try:
                weight = float(value)
            except ValueError:
                raise ValueError(
                    gettext("the weight %(value)s is not a number from 0 to 1", value=repr(value))
                ) from None
            if weight:
                weights[skill_id] = weight
    return OpportunityDraft(
        title=form.get("title", ""),
        kind=form.get("kind", ""),
        effort_hours=hours,
        skills=weights,
        prerequisites=current.prerequisites,
        activity_ids=frozenset(line.strip() for line in form.get("activity_ids", "").splitlines() if line.strip()),
        lti_resource_link_ids=frozenset(
            line.strip() for line in form.get("lti_resource_link_ids", "").splitlines() if line.strip()
        ),
        url=form.get("url", "").strip() or None,
        description=current.description,
    )


def _team_key(sort: str) -> Callable[[Any], Any]:
    keys: dict[str, Callable[[Any], Any]] = {
        "momentum": lambda r: (r.momentum is None, r.momentum if r.momentum is not None else 0, r.name),
        "name": lambda r: r.name.lower(),
        "flags": lambda r: (-len(r.open_flags), r.name),
        "last_activity": lambda r: (r.last_activity is not None, r.last_activity or datetime.min.replace(tzinfo=UTC)),
        "progress": lambda r: (r.items_done / r.items_planned if r.items_planned else 0.0, r.name),
    }
    return keys[sort]
