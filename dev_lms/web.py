"""The platform over HTTP: `create_app(lms)` and its three blueprints (protocol, services, pages).

Views parse the request, call one function of the platform, and render; `ProtocolError` becomes the
status and error body the relevant spec asks for (OAuth 2 JSON for the token, registration and service
endpoints; a page for the browser-facing ones).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, abort, current_app, jsonify, redirect, render_template, request, url_for

from dev_lms import services
from dev_lms import vocabulary as v
from dev_lms.deep_linking import accept_deep_linking_response
from dev_lms.errors import DevLmsError, ProtocolError
from dev_lms.launch import LoginInitiation, authorize
from dev_lms.platform import CourseRef, DevLms, PersonRef
from dev_lms.registration import (
    accept_registration,
    create_registration_token,
    openid_configuration,
    registration_start_url,
)


def create_app(lms: DevLms) -> Flask:
    """The Flask app serving `lms`: protocol endpoints, LTI Advantage services and the pages."""
    app = Flask(__name__)
    app.extensions["dev_lms"] = lms
    app.register_blueprint(protocol)
    app.register_blueprint(service_api)
    app.register_blueprint(pages)
    return app


def _lms() -> DevLms:
    lms = current_app.extensions["dev_lms"]
    assert isinstance(lms, DevLms)
    return lms


def _oauth_error(fault: ProtocolError) -> Response:
    """RFC 6749 §5.2 / RFC 7591 §3.2.2 error body."""
    response = jsonify({"error": fault.error, "error_description": fault.description})
    response.status_code = fault.status
    response.headers.update(fault.headers)
    response.headers["Cache-Control"] = "no-store"
    return response


def _error_page(fault: ProtocolError | DevLmsError, status: int | None = None) -> tuple[str, int]:
    code = status or (fault.status if isinstance(fault, ProtocolError) else 400)
    return render_template("error.html", message=str(fault)), code


# Protocol endpoints ----------------------------------------------------------------------------------------

protocol = Blueprint("protocol", __name__)


@protocol.get("/.well-known/jwks.json")
def jwks() -> Response:
    """The platform's public keys."""
    return jsonify(_lms().key.key_set())


@protocol.get("/.well-known/openid-configuration")
def openid_config() -> Response:
    """The OpenID configuration with the LTI platform configuration (LTI DR 1.0 §3.4)."""
    return jsonify(openid_configuration(_lms()))


@protocol.post("/registrations")
def register() -> Response:
    """A tool's dynamic registration request (LTI DR 1.0 §3.5-3.6)."""
    if request.mimetype != "application/json":
        return _oauth_error(ProtocolError(400, "invalid_client_metadata", "the registration must be application/json"))
    body = request.get_json(silent=True)
    try:
        answer = accept_registration(_lms(), request.headers.get("Authorization"), body)
    except ProtocolError as fault:
        return _oauth_error(fault)
    response = jsonify(answer)
    response.headers["Cache-Control"] = "no-store"
    return response


@protocol.route("/oidc/auth", methods=["GET", "POST"])
def oidc_auth() -> Any:
    """The OIDC authorization endpoint: answers with an auto-submitting form POST of the id_token."""
    params = {key: value for key, value in (request.form if request.method == "POST" else request.args).items()}
    try:
        answer = authorize(_lms(), params)
    except ProtocolError as fault:
        return _error_page(fault)
    return render_template("form_post.html", action=answer.redirect_uri, fields=answer.fields, target=None)


@protocol.post("/deep-linking/return")
def deep_linking_return() -> Any:
    """The deep-linking response from the tool (Deep Linking 2.0 §4.2)."""
    try:
        outcome = accept_deep_linking_response(_lms(), request.form.get("JWT"))
    except ProtocolError as fault:
        return _error_page(fault)
    return render_template("deep_linking_done.html", outcome=outcome)


@protocol.post("/oauth2/token")
def token() -> Response:
    """The client-credentials token endpoint."""
    lms = _lms()
    if lms.take_failure():
        return _failed(lms, None)
    try:
        if request.mimetype != "application/x-www-form-urlencoded":
            # RFC 6749 §4.4.2: the token request is form-encoded.
            raise ProtocolError(400, "invalid_request", "the token request must be application/x-www-form-urlencoded")
        client_id, answer = services.issue_token(lms, dict(request.form.items()))
    except ProtocolError as fault:
        lms.record_call(None, "POST", request.path, fault.status, fault.description)
        return _oauth_error(fault)
    lms.record_call(client_id, "POST", request.path, 200, "scope " + answer["scope"])
    response = jsonify(answer)
    response.headers["Cache-Control"] = "no-store"
    return response


def _failed(lms: DevLms, client_id: str | None) -> Response:
    lms.record_call(client_id, request.method, request.full_path.rstrip("?"), 503, "failure switch")
    response = jsonify({"error": "temporarily_unavailable", "error_description": "the failure switch is on"})
    response.status_code = 503
    response.headers["Retry-After"] = "1"
    return response


# Services ---------------------------------------------------------------------------------------------------

service_api = Blueprint("services", __name__, url_prefix="/api")

LINEITEM_READ = (v.SCOPE_LINEITEM, v.SCOPE_LINEITEM_READONLY)


def _serve(accepted_scopes: tuple[str, ...], call: Any, *, body_media_type: str | None = None) -> Response:
    """Authenticate, check the body's media type, run `call(caller)`, log it, and render the answer."""
    lms = _lms()
    if lms.take_failure():
        return _failed(lms, None)
    caller = None
    try:
        caller = services.authenticate(lms, request.headers.get("Authorization"), accepted_scopes)
        if body_media_type is not None and request.mimetype != body_media_type:
            raise ProtocolError(
                415,
                "unsupported_media_type",
                f"the body must be {body_media_type}, not {request.mimetype or 'missing'}",
            )
        answer = call(caller)
    except ProtocolError as fault:
        lms.record_call(
            caller.client_id if caller else None,
            request.method,
            request.full_path.rstrip("?"),
            fault.status,
            fault.description,
        )
        return _oauth_error(fault)
    lms.record_call(caller.client_id, request.method, request.full_path.rstrip("?"), answer.status)
    if answer.body is None:
        response = Response(status=answer.status)
    else:
        response = jsonify(answer.body)
        response.status_code = answer.status
        response.mimetype = answer.media_type
    response.headers.update(answer.headers)
    return response


def _json_body() -> Any:
    body = request.get_json(silent=True, force=True)
    if body is None:
        raise ProtocolError(400, "invalid_request", "the body is not JSON")
    return body


@service_api.get("/ags/<int:course_id>/lineitems")
def line_items(course_id: int) -> Response:
    """AGS: the line item container."""
    return _serve(
        LINEITEM_READ, lambda caller: services.list_line_items(_lms(), caller, course_id, dict(request.args.items()))
    )


@service_api.post("/ags/<int:course_id>/lineitems")
def create_line_item(course_id: int) -> Response:
    """AGS: add a line item."""
    return _serve(
        (v.SCOPE_LINEITEM,),
        lambda caller: services.create_line_item(_lms(), caller, course_id, _json_body()),
        body_media_type=v.LINEITEM_MEDIA_TYPE,
    )


@service_api.get("/ags/<int:course_id>/lineitems/<int:item_id>")
def line_item(course_id: int, item_id: int) -> Response:
    """AGS: one line item."""
    return _serve(LINEITEM_READ, lambda caller: services.get_line_item(_lms(), caller, course_id, item_id))


@service_api.put("/ags/<int:course_id>/lineitems/<int:item_id>")
def update_line_item(course_id: int, item_id: int) -> Response:
    """AGS: replace a line item."""
    return _serve(
        (v.SCOPE_LINEITEM,),
        lambda caller: services.update_line_item(_lms(), caller, course_id, item_id, _json_body()),
        body_media_type=v.LINEITEM_MEDIA_TYPE,
    )


@service_api.delete("/ags/<int:course_id>/lineitems/<int:item_id>")
def delete_line_item(course_id: int, item_id: int) -> Response:
    """AGS: delete a line item."""
    return _serve((v.SCOPE_LINEITEM,), lambda caller: services.delete_line_item(_lms(), caller, course_id, item_id))


@service_api.post("/ags/<int:course_id>/lineitems/<int:item_id>/scores")
def score(course_id: int, item_id: int) -> Response:
    """AGS: publish a score."""
    return _serve(
        (v.SCOPE_SCORE,),
        lambda caller: services.post_score(_lms(), caller, course_id, item_id, _json_body()),
        body_media_type=v.SCORE_MEDIA_TYPE,
    )


@service_api.get("/ags/<int:course_id>/lineitems/<int:item_id>/results")
def results(course_id: int, item_id: int) -> Response:
    """AGS: read results."""
    return _serve(
        (v.SCOPE_RESULT_READONLY,),
        lambda caller: services.list_results(_lms(), caller, course_id, item_id, dict(request.args.items())),
    )


@service_api.get("/nrps/<int:course_id>/memberships")
def members(course_id: int) -> Response:
    """NRPS: the context membership container."""
    return _serve(
        (v.SCOPE_NRPS,), lambda caller: services.memberships(_lms(), caller, course_id, dict(request.args.items()))
    )


# Pages ------------------------------------------------------------------------------------------------------

pages = Blueprint("pages", __name__, template_folder="templates")


@pages.get("/")
def home() -> str:
    """The platform's front page: courses and tools."""
    lms = _lms()
    return render_template("home.html", lms=lms, courses=lms.courses(), tools=lms.tools())


def _course_or_404(course_id: int) -> CourseRef:
    for course in _lms().courses():
        if course.id == course_id:
            return course
    abort(404)


@pages.get("/courses/<int:course_id>")
def course_home(course_id: int) -> str:
    """A course: its people with launch buttons, its placements, and the registered tools."""
    lms = _lms()
    course = _course_or_404(course_id)
    return render_template(
        "course.html",
        lms=lms,
        course=course,
        people=lms.people(course),
        links=lms.resource_links(course),
        tools=lms.tools(),
        role_name=_role_name,
    )


@pages.get("/courses/<int:course_id>/gradebook")
def gradebook(course_id: int) -> str:
    """The course gradebook: line items as columns, each learner's score and comment."""
    return render_template("gradebook.html", book=_lms().gradebook(_course_or_404(course_id)))


@pages.post("/courses/<int:course_id>/launch")
def launch(course_id: int) -> Any:
    """Start a launch for a person on a placement, and show the tool in a frame (or a new window)."""
    lms = _lms()
    course = _course_or_404(course_id)
    person = _person(course, request.form.get("person_id", ""))
    link = next((link for link in lms.resource_links(course) if link.id == request.form.get("link_id")), None)
    if person is None or link is None:
        return _error_page(DevLmsError("choose a person and a placement of this course"))
    try:
        initiation = lms.launch_form(
            person,
            link,
            method=request.form.get("method", "POST"),
            document_target=request.form.get("target", "iframe"),
        )
    except DevLmsError as fault:
        return _error_page(fault)
    return _launch_page(course, person, link.title, initiation)


@pages.post("/courses/<int:course_id>/deep-linking")
def deep_linking(course_id: int) -> Any:
    """Start a deep-linking request: an instructor adds a tool to the course."""
    lms = _lms()
    course = _course_or_404(course_id)
    person = _person(course, request.form.get("person_id", ""))
    if person is None:
        return _error_page(DevLmsError("choose who adds the tool"))
    try:
        initiation = lms.deep_linking_form(person, course, request.form.get("client_id", ""))
    except DevLmsError as fault:
        return _error_page(fault)
    return _launch_page(course, person, "Add a tool", initiation)


def _launch_page(course: CourseRef, person: PersonRef, title: str, initiation: LoginInitiation) -> str:
    parts = urlsplit(initiation.url)
    return render_template(
        "launch.html",
        course=course,
        person=person,
        title=title,
        initiation=initiation,
        tool_origin=f"{parts.scheme}://{parts.netloc}",
    )


def _person(course: CourseRef, person_id: str) -> PersonRef | None:
    return next((p for p, _ in _lms().people(course) if str(p.id) == person_id), None)


def _role_name(person: PersonRef) -> str:
    names = [v.short_role(role) for role in person.roles]
    if v.INSTITUTION_ADMINISTRATOR in person.roles:
        return "Admin"
    return names[0] if len(names) == 1 else ", ".join(names)


@pages.get("/admin/tools")
def tools_page() -> str:
    """Registered tools, and the forms to register one."""
    return render_template("tools.html", lms=_lms(), tools=_lms().tools(), message=request.args.get("message"))


@pages.post("/admin/tools/register")
def start_registration() -> Any:
    """Open the tool's registration URL in a frame with the two parameters (LTI DR 1.0 §3.3)."""
    lms = _lms()
    try:
        url = registration_start_url(lms, request.form.get("registration_url", ""), create_registration_token(lms))
    except DevLmsError as fault:
        return _error_page(fault)
    return render_template("register.html", url=url)


@pages.post("/admin/tools/manual")
def manual_registration() -> Any:
    """Register a tool from typed-in values."""
    form = request.form
    try:
        registration = _lms().register_tool(
            form.get("name", ""),
            initiate_login_uri=form.get("initiate_login_uri", ""),
            redirect_uris=form.get("redirect_uris", "").split(),
            jwks_uri=form.get("jwks_uri", ""),
            target_link_uri=form.get("target_link_uri", ""),
            deep_link_uri=form.get("deep_link_uri") or None,
        )
    except DevLmsError as fault:
        return _error_page(fault)
    message = f"Registered: client_id {registration.client_id}, deployment_id {registration.deployment_id}"
    return redirect(url_for("pages.tools_page", message=message))


@pages.route("/admin/service-log", methods=["GET", "POST"])
def service_log() -> Any:
    """Recent service calls, and the switch that makes the next calls fail."""
    lms = _lms()
    if request.method == "POST":
        try:
            lms.fail_next_service_calls(int(request.form.get("count", "0")))
        except (ValueError, DevLmsError):
            return _error_page(DevLmsError("the number of calls to fail must be a whole number of at least 0"))
        return redirect(url_for("pages.service_log"))
    return render_template("service_log.html", calls=lms.recent_calls(), pending=lms.failures_pending())
