"""HTTP routes of the LTI tool: key set, OIDC login initiation, launch, and the setup values for admins."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlencode

import requests
import structlog
from flask import (
    Blueprint,
    Response,
    abort,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext, lazy_gettext
from pylti1p3.contrib.flask import FlaskRequest
from pylti1p3.exception import OIDCException
from werkzeug.wrappers import Response as WerkzeugResponse

from alignment.database import UnitOfWorkFactory
from lti_tool import dynamic_registration, frame_session
from lti_tool.admission import Visitor, admit
from lti_tool.dynamic_registration import RegistrationFailed, fetch_platform_configuration, tenant_of_token
from lti_tool.keys import KeyRing, key_set
from lti_tool.launch import (
    ADVICE_PLATFORM,
    ADVICE_REGISTER,
    ADVICE_RETRY,
    DatabaseToolConf,
    HardenedLaunch,
    LaunchChecks,
    LaunchRejected,
    StorageCheck,
)
from lti_tool.platform_keys import PlatformKeySets
from lti_tool.platform_storage import (
    STORAGE_NONCE_FIELD,
    STORAGE_STATE_FIELD,
    STORAGE_TARGET_PARAMETER,
    LaunchStates,
    SignedStateLogin,
    nonce_digest,
    platform_origin,
    storage_target,
)
from lti_tool.roles import Audience
from lti_tool.settings import LtiSettings
from lti_tool.setup import canvas_configuration

log = structlog.get_logger(__name__)

VISITOR = "visitor"
View = TypeVar("View", bound=Callable[..., Any])


def create_blueprint(
    unit_of_work: UnitOfWorkFactory,
    keys: KeyRing,
    settings: LtiSettings,
    secret_key: bytes,
    on_manager_launch: Callable[[Visitor], None] | None = None,
) -> Blueprint:
    """The LTI tool's protocol routes, with one tool configuration and one key-set cache for the app.

    `on_manager_launch` is called after a manager's or admin's launch is recorded (the composition
    enqueues a roster sync there, so the roster is fresh when they look at it).
    """
    blueprint = Blueprint("lti", __name__, url_prefix="/lti", template_folder="templates")
    tool_conf = DatabaseToolConf(unit_of_work, keys)
    states = LaunchStates(secret_key)
    key_sets = PlatformKeySets(settings.key_set_cache_seconds)
    http = requests.Session()

    def tool_origin() -> str:
        return str(settings.public_url).rstrip("/") if settings.public_url else request.host_url.rstrip("/")

    def our_url(endpoint: str) -> str:
        return tool_origin() + url_for(endpoint)

    @blueprint.get("/jwks.json")
    def jwks() -> Response:
        """The tool's public keys, for platforms verifying what the tool signs."""
        response = jsonify(key_set(keys.published()))
        response.cache_control.public = True
        response.cache_control.max_age = 300
        return response

    @blueprint.route("/login", methods=["GET", "POST"])
    def login() -> Response:
        """OIDC third-party initiated login (LTI Core §5.1.1): check the platform, then redirect to its auth."""
        params = request.values
        target = params.get("target_link_uri", "")
        if not target.startswith(tool_origin() + "/"):
            raise LaunchRejected(
                lazy_gettext(
                    "the login's target_link_uri %(target)s does not point at this tool (%(tool)s)",
                    target=repr(target),
                    tool=tool_origin(),
                ),
                ADVICE_PLATFORM,
            )
        if not params.get("iss") or not params.get("login_hint"):
            raise LaunchRejected(lazy_gettext("the login request needs iss and login_hint"), ADVICE_PLATFORM)
        registration = tool_conf.registration(params["iss"], params.get("client_id"))
        if registration is None:
            reason = (
                lazy_gettext(
                    "no platform is registered with issuer %(iss)s and client id %(client_id)s",
                    iss=params["iss"],
                    client_id=params["client_id"],
                )
                if params.get("client_id")
                else lazy_gettext("no platform is registered with issuer %(iss)s", iss=params["iss"])
            )
            raise LaunchRejected(reason, ADVICE_REGISTER, 403)
        # A platform that shows Sweetspot in its iframe may offer its storage for the state and nonce.
        frame = None if params.get("new_window") else storage_target(params.get(STORAGE_TARGET_PARAMETER))
        try:
            oidc = SignedStateLogin(FlaskRequest(request_data=params), tool_conf, states, frame)
            redirection = oidc.get_redirect_object(our_url("lti.launch"))
        except OIDCException as error:
            raise LaunchRejected(str(error), ADVICE_PLATFORM) from error
        if request.headers.get("Sec-Fetch-Dest") != "iframe" or params.get("new_window"):
            response: Response = redirection.do_redirect()
            return response
        # Inside the LMS's iframe a browser that blocks third-party cookies would lose the state cookie:
        # the page's script puts the state and nonce in the platform's storage when it offers one, else
        # checks that cookies work, else offers to open Sweetspot in a new window.
        new_window = our_url("lti.login") + "?" + urlencode({**params.to_dict(), "new_window": "1"})
        page = make_response(
            render_template(
                "lti/login.html",
                auth_url=redirection.get_redirect_url(),
                new_window=new_window,
                storage_target=frame,
                platform_origin=platform_origin(registration.auth_login_url),
                state=oidc.state,
                nonce=oidc.nonce,
            )
        )
        page.headers["Cache-Control"] = "no-store"
        oidc._cookie_service.update_response(page)
        return page

    @blueprint.post("/launch")
    def launch() -> WerkzeugResponse:
        """The id_token POST: every check, then the person, context and role are recorded and pages open.

        Without the state cookie, when the login offered platform storage, the first POST answers a page
        that reads the state and nonce back from the platform and POSTs them with the id_token again.
        """
        checks = LaunchChecks(unit_of_work, key_sets, settings.clock_leeway_seconds, tool_origin(), states)
        stored = None
        if STORAGE_STATE_FIELD in request.form or STORAGE_NONCE_FIELD in request.form:
            # Only Sweetspot's own launch page sends these, after reading them from the platform's frame.
            if request.headers.get("Origin") != tool_origin():
                raise LaunchRejected(
                    lazy_gettext("the launch's confirmation did not come from Sweetspot's own page"),
                    ADVICE_RETRY,
                    403,
                )
            stored = (request.form.get(STORAGE_STATE_FIELD, ""), request.form.get(STORAGE_NONCE_FIELD, ""))
        with unit_of_work() as uow:
            outcome = HardenedLaunch(FlaskRequest(), tool_conf, checks, stored).run(uow)
            if isinstance(outcome, StorageCheck):
                return storage_check_page(outcome)
            visitor = admit(uow, outcome, datetime.now(UTC))
            uow.commit()
        if on_manager_launch and visitor.audience in (Audience.MANAGER, Audience.ADMIN):
            on_manager_launch(visitor)
        session.clear()
        session[VISITOR] = dataclasses.asdict(visitor)
        if outcome.through_platform_storage:
            frame_session.start(nonce_digest(str(outcome.body["nonce"])))
        log.info(
            "lti launch",
            tenant_id=visitor.tenant_id,
            person_id=visitor.person_id,
            context_id=visitor.context_id,
            audience=visitor.audience.value,
            message_type=visitor.message_type,
            through_platform_storage=outcome.through_platform_storage,
        )
        response = redirect(url_for("pages.start"), 303)
        # The state cookie has done its job; without this every launch in the last five minutes would
        # add one to the Cookie header until servers refuse it as too large.
        state_cookie = f"lti1p3-{request.form.get('state', '')}"
        if state_cookie in request.cookies:
            response.delete_cookie(state_cookie, path="/")
        return response

    def storage_check_page(check: StorageCheck) -> Response:
        """The page that reads the launch's state and nonce from the platform's storage and sends them back."""
        page = make_response(render_template("lti/storage_check.html", check=check))
        origins = " ".join(
            dict.fromkeys(
                platform_origin(url) for url in (check.registration.issuer, check.registration.auth_login_url)
            )
        )
        # It holds the id_token: only the platform may frame it, it goes nowhere but back to Sweetspot.
        page.headers["Content-Security-Policy"] = (
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
            f"base-uri 'none'; form-action 'self'; frame-ancestors {origins}"
        )
        page.headers["Referrer-Policy"] = "same-origin"
        page.headers["Cache-Control"] = "no-store"
        return page

    @blueprint.get("/register/<token>")
    def register(token: str) -> str:
        """LTI Dynamic Registration: the platform opens this with its configuration URL and a one-time token."""
        tenant_id = tenant_of_token(secret_key, token, settings.registration_url_days * 86400)
        openid_configuration = request.args.get("openid_configuration", "")
        platform_token = request.args.get("registration_token") or None
        try:
            configuration = fetch_platform_configuration(http, openid_configuration, platform_token)
            with unit_of_work() as uow:
                registration = dynamic_registration.register(
                    uow, http, tenant_id, tool_origin(), configuration, platform_token
                )
                uow.commit()
        except requests.RequestException as error:
            raise RegistrationFailed(f"could not reach the platform: {error}") from error
        log.info("lti dynamic registration", tenant_id=tenant_id, issuer=registration.issuer)
        return render_template("lti/registered.html", registration=registration)

    @blueprint.get("/canvas.json")
    def canvas_json() -> Response:
        """The LTI 1.3 configuration a Canvas developer key can be pointed at."""
        return jsonify(canvas_configuration(tool_origin()))

    @blueprint.errorhandler(RegistrationFailed)
    def registration_failed(error: RegistrationFailed) -> tuple[str, int]:
        log.warning("lti dynamic registration failed", reason=str(error))
        advice = gettext("Check the platform's tool registration settings and try the registration URL again.")
        return render_template("lti/rejected.html", reason=str(error), advice=advice, registering=True), 400

    @blueprint.errorhandler(LaunchRejected)
    def rejected(error: LaunchRejected) -> tuple[str, int]:
        log.warning("lti launch rejected", reason=error.logged_reason, path=request.path, iss=request.values.get("iss"))
        # str() translates into the page's language and makes plain text, which the template escapes.
        page = render_template("lti/rejected.html", reason=str(error.reason), advice=str(error.advice))
        return page, error.status

    return blueprint


def current_visitor() -> Visitor | None:
    """The visitor of this browser session, if a launch made one."""
    data = session.get(VISITOR)
    if not isinstance(data, dict):
        return None
    values = dict(data)
    values["audience"] = Audience(str(values["audience"]))
    values["mentee_lms_ids"] = tuple(values.get("mentee_lms_ids") or ())
    values["frame_origins"] = tuple(values.get("frame_origins") or ())
    return Visitor(**values)


def visitor_or_401() -> Visitor:
    """The visitor of this browser session, or 401 with what to do."""
    visitor = current_visitor()
    if visitor is None:
        abort(401, gettext("Open Sweetspot from your LMS course: this page is reached through a launch."))
    return visitor


def only(*audiences: Audience) -> Callable[[View], View]:
    """Let a view run only for visitors of these audiences (403 otherwise); it gets the visitor first."""

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            visitor = visitor_or_401()
            if visitor.audience not in audiences:
                abort(403, gettext("This page is not part of what your role in this course opens."))
            return view(visitor, *args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorate
