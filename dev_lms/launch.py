"""Launches: third-party initiated login, the OIDC authorization endpoint, and the id_token's claims.

LTI Core 1.3 §5 and 1EdTech Security Framework 1.0 §5.1.1: the platform starts a login at the tool's
`initiate_login_uri` with `iss`, `login_hint`, `target_link_uri`, `lti_message_hint`, `client_id` and
`lti_deployment_id`; the tool answers with an authentication request to the authorization endpoint; the
platform checks it and POSTs a signed id_token and the state to the registered redirect URI.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dev_lms import vocabulary as v
from dev_lms.errors import DevLmsError, ProtocolError
from dev_lms.records import CourseRef, PersonRef, ResourceLinkRef
from dev_lms.storage import (
    Course,
    Deployment,
    LaunchHint,
    LineItem,
    Membership,
    Person,
    ResourceLink,
    Tool,
    unit_of_work,
    utc,
)

if TYPE_CHECKING:
    from dev_lms.platform import DevLms

HINT_LIFETIME = timedelta(minutes=10)
ID_TOKEN_LIFETIME = timedelta(minutes=5)
DOCUMENT_TARGETS = ("iframe", "window")


@dataclass(frozen=True)
class LoginInitiation:
    """The OIDC third-party initiated login to send to a tool: where, how, and with which parameters."""

    url: str
    method: str
    params: dict[str, str]
    document_target: str


@dataclass(frozen=True)
class AuthenticationResponse:
    """What the authorization endpoint answers: a form POSTed to the tool's redirect URI."""

    redirect_uri: str
    fields: dict[str, str]


def start_resource_link_launch(
    lms: DevLms,
    person: PersonRef,
    link: ResourceLinkRef,
    *,
    method: str,
    document_target: str,
    offer_platform_storage: bool = True,
) -> LoginInitiation:
    """Record who is launching what and return the login initiation for the tool."""
    _check_method_and_target(method, document_target)
    with unit_of_work(lms.sessions) as session:
        stored = session.get(ResourceLink, link.id)
        if stored is None:
            raise DevLmsError(f"no resource link {link.id!r}")
        tool = session.get(Tool, stored.client_id)
        assert tool is not None
        _membership(session, person.id, stored.course_id)
        hint = LaunchHint(
            hint=secrets.token_urlsafe(24),
            kind=v.RESOURCE_LINK_REQUEST,
            person_id=person.id,
            course_id=stored.course_id,
            client_id=tool.client_id,
            deployment_id=stored.deployment_id,
            resource_link_id=stored.id,
            target_link_uri=stored.url or tool.target_link_uri,
            document_target=document_target,
            created_at=lms.clock(),
        )
        session.add(hint)
        return _initiation(lms, tool, hint, method, person.user_id, offer_platform_storage)


def start_deep_linking(
    lms: DevLms, person: PersonRef, course: CourseRef, client_id: str, *, method: str
) -> LoginInitiation:
    """Record a deep-linking request (an instructor adds the tool to a course) and return its login initiation."""
    _check_method_and_target(method, "iframe")
    with unit_of_work(lms.sessions) as session:
        tool = session.get(Tool, client_id)
        if tool is None:
            raise DevLmsError(f"no tool with client_id {client_id!r}")
        if tool.deep_link_uri is None:
            raise DevLmsError(f"{tool.name} did not register for LtiDeepLinkingRequest messages")
        membership = _membership(session, person.id, course.id)
        if not set(membership.roles) & {v.INSTRUCTOR, v.CONTEXT_ADMINISTRATOR, v.INSTITUTION_ADMINISTRATOR}:
            raise DevLmsError("only an instructor or administrator can add a tool to a course")
        deployment = session.scalar(select(Deployment).where(Deployment.client_id == client_id))
        assert deployment is not None
        hint = LaunchHint(
            hint=secrets.token_urlsafe(24),
            kind=v.DEEP_LINKING_REQUEST,
            person_id=person.id,
            course_id=course.id,
            client_id=client_id,
            deployment_id=deployment.deployment_id,
            resource_link_id=None,
            target_link_uri=tool.deep_link_uri,
            document_target="iframe",
            deep_linking_data=secrets.token_urlsafe(24),
            created_at=lms.clock(),
        )
        session.add(hint)
        return _initiation(lms, tool, hint, method, person.user_id)


def _initiation(
    lms: DevLms, tool: Tool, hint: LaunchHint, method: str, login_hint: str, offer_platform_storage: bool = True
) -> LoginInitiation:
    params = {
        "iss": lms.issuer,
        "login_hint": login_hint,
        "target_link_uri": hint.target_link_uri,
        "lti_message_hint": hint.hint,
        "client_id": tool.client_id,
        "lti_deployment_id": hint.deployment_id,
    }
    if hint.document_target == "iframe" and offer_platform_storage:
        # LTI Client Side postMessages / platform storage: the launching page (the iframe's parent) answers
        # lti.put_data and lti.get_data, so the tool can keep its state without third-party cookies.
        params["lti_storage_target"] = "_parent"
    return LoginInitiation(tool.initiate_login_uri, method.upper(), params, hint.document_target)


def _check_method_and_target(method: str, document_target: str) -> None:
    if method.upper() not in {"GET", "POST"}:
        raise DevLmsError(f"a login initiation is a GET or a POST, not {method!r}")
    if document_target not in DOCUMENT_TARGETS:
        raise DevLmsError(f"document_target must be one of {', '.join(DOCUMENT_TARGETS)}")


def _membership(session: Session, person_id: int, course_id: int) -> Membership:
    membership = session.scalar(
        select(Membership).where(Membership.person_id == person_id, Membership.course_id == course_id)
    )
    if membership is None:
        raise DevLmsError("that person is not a member of the course")
    if membership.status != "Active":
        raise DevLmsError("that person's membership of the course is not active")
    return membership


def authorize(lms: DevLms, params: dict[str, str]) -> AuthenticationResponse:
    """Check an OIDC authentication request (Security Framework §5.1.1.2-3) and answer it with an id_token.

    Faults before the redirect URI is known to be registered raise `ProtocolError` (the platform must not
    redirect to an unchecked URI); later faults are answered to the tool as an OAuth error response.
    """
    client_id = params.get("client_id", "")
    redirect_uri = params.get("redirect_uri", "")
    now = lms.clock()
    with unit_of_work(lms.sessions) as session:
        tool = session.get(Tool, client_id) if client_id else None
        if tool is None:
            raise ProtocolError(400, "invalid_client", f"client_id {client_id!r} is not a registered tool")
        if redirect_uri not in tool.redirect_uris:
            raise ProtocolError(
                400, "invalid_request", f"redirect_uri {redirect_uri!r} is not one of {tool.name}'s registered URIs"
            )

        def refuse(error: str, description: str) -> AuthenticationResponse:
            fields = {"error": error, "error_description": description}
            if "state" in params:
                fields["state"] = params["state"]
            return AuthenticationResponse(redirect_uri, fields)

        if "openid" not in params.get("scope", "").split():
            return refuse("invalid_scope", 'scope must include "openid"')
        if params.get("response_type") != "id_token":
            return refuse("unsupported_response_type", 'response_type must be "id_token"')
        if params.get("response_mode") != "form_post":
            return refuse("invalid_request", 'response_mode must be "form_post"')
        if params.get("prompt") != "none":
            return refuse("invalid_request", 'prompt must be "none"')
        if not params.get("nonce"):
            return refuse("invalid_request", "nonce is required")
        hint = session.get(LaunchHint, params.get("lti_message_hint", ""))
        if hint is None or hint.client_id != tool.client_id:
            return refuse("invalid_request", "lti_message_hint does not name a launch this platform started")
        if hint.used_at is not None:
            return refuse("invalid_request", "this launch has already been used; start it again from the course")
        if utc(hint.created_at) + HINT_LIFETIME <= now:
            return refuse("invalid_request", "this launch has expired; start it again from the course")
        person = session.get(Person, hint.person_id)
        assert person is not None
        if params.get("login_hint") != person.user_id:
            return refuse("login_required", "login_hint does not match the user who started the launch")
        membership = session.scalar(
            select(Membership).where(Membership.person_id == person.id, Membership.course_id == hint.course_id)
        )
        if membership is None or membership.status != "Active":
            return refuse("access_denied", "the user is no longer an active member of the course")
        hint.used_at = now
        claims = id_token_claims(lms, session, tool, hint, person, params["nonce"])
        fields = {"id_token": lms.key.sign(claims)}
        if "state" in params:
            fields["state"] = params["state"]
        return AuthenticationResponse(redirect_uri, fields)


def id_token_claims(
    lms: DevLms, session: Session, tool: Tool, hint: LaunchHint, person: Person, nonce: str
) -> dict[str, Any]:
    """The full claim set of the launch, as Moodle sends it (LTI Core 1.3 §5.3-5.4, AGS §3.1, NRPS §3.6)."""
    now = lms.clock()
    course = session.get(Course, hint.course_id)
    membership = _membership(session, person.id, hint.course_id)
    assert course is not None
    link = session.get(ResourceLink, hint.resource_link_id) if hint.resource_link_id else None
    claims: dict[str, Any] = {
        "iss": lms.issuer,
        "aud": tool.client_id,
        "azp": tool.client_id,
        "sub": person.user_id,
        "iat": int(now.timestamp()),
        "exp": int((now + ID_TOKEN_LIFETIME).timestamp()),
        "nonce": nonce,
        "jti": str(uuid.uuid4()),
        v.MESSAGE_TYPE: hint.kind,
        v.VERSION: v.LTI_VERSION,
        v.DEPLOYMENT_ID: hint.deployment_id,
        v.TARGET_LINK_URI: hint.target_link_uri,
        v.ROLES: list(membership.roles),
        v.CONTEXT: {
            "id": course.context_id,
            "label": course.label,
            "title": course.title,
            "type": [v.COURSE_OFFERING],
        },
        v.TOOL_PLATFORM: {
            "guid": lms.guid,
            "name": lms.name,
            "product_family_code": "sweetspot-dev-lms",
            "version": "1.0",
        },
        v.LAUNCH_PRESENTATION: {
            "locale": "en",
            "document_target": hint.document_target,
            "return_url": lms.url(f"/courses/{course.id}"),
        },
        v.LIS: {"person_sourcedid": person.user_id, "course_section_sourcedid": course.context_id},
        # LTI Core 1.3 §5.3.6 and the claims the tool asked for at registration (LTI DR 1.0 §3.5.1).
        "locale": "en",
    }
    wanted = set(tool.claims) | {"sub"}
    for name, value in (
        ("name", person.name),
        ("given_name", person.given_name),
        ("family_name", person.family_name),
        ("email", person.email),
    ):
        if name in wanted:
            claims[name] = value
    if link is not None:
        claims[v.RESOURCE_LINK] = {"id": link.id, "title": link.title, "description": link.text}
    if membership.role_scope_mentor:
        claims[v.ROLE_SCOPE_MENTOR] = list(membership.role_scope_mentor)
    custom = {**tool.custom_parameters, **(link.custom if link is not None else {})}
    if custom:
        claims[v.CUSTOM] = {
            key: substitute(value, person, course, link, membership.roles) for key, value in custom.items()
        }
    ags_scopes = [scope for scope in v.AGS_SCOPES if scope in tool.scopes]
    if ags_scopes:
        endpoint: dict[str, Any] = {"scope": ags_scopes, "lineitems": lms.lineitems_url(course.id)}
        if link is not None:
            items = list(
                session.scalars(
                    select(LineItem).where(LineItem.resource_link_id == link.id, LineItem.client_id == tool.client_id)
                )
            )
            if len(items) == 1:
                endpoint["lineitem"] = lms.lineitem_url(course.id, items[0].id)
        claims[v.AGS_ENDPOINT] = endpoint
    if v.SCOPE_NRPS in tool.scopes:
        claims[v.NRPS_SERVICE] = {
            "context_memberships_url": lms.memberships_url(course.id),
            "service_versions": ["2.0"],
        }
    if hint.kind == v.DEEP_LINKING_REQUEST:
        claims[v.DEEP_LINKING_SETTINGS] = {
            "deep_link_return_url": lms.deep_link_return_url,
            "accept_types": ["ltiResourceLink"],
            "accept_presentation_document_targets": ["iframe", "window"],
            "accept_multiple": True,
            "accept_lineitem": True,
            "auto_create": True,
            "title": tool.name,
            "text": f"Add {tool.name} to {course.title}",
            "data": hint.deep_linking_data,
        }
    return claims


def substitute(value: str, person: Person, course: Course, link: ResourceLink | None, roles: list[str]) -> str:
    """Resolve a custom parameter's substitution variable (LTI Core 1.3 Appendix C); unknown ones stay as they are.

    `$Person.custom.<name>` is this platform's own variable for a person's custom attributes (such as
    years in role), the way Moodle and Canvas offer platform-specific variables.
    """
    known: dict[str, str | None] = {
        "$User.id": person.user_id,
        "$User.username": person.email.split("@")[0],
        "$Person.name.full": person.name,
        "$Person.name.given": person.given_name,
        "$Person.name.family": person.family_name,
        "$Person.email.primary": person.email,
        "$Person.sourcedId": person.user_id,
        "$Context.id": course.context_id,
        "$Context.title": course.title,
        "$Context.label": course.label,
        "$CourseSection.sourcedId": course.context_id,
        "$ResourceLink.id": link.id if link else None,
        "$ResourceLink.title": link.title if link else None,
        "$Membership.role": ",".join(roles),
    }
    if value.startswith("$Person.custom."):
        return str(person.custom.get(value[len("$Person.custom.") :], value))
    resolved = known.get(value)
    return value if resolved is None else resolved
