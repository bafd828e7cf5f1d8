"""What a valid launch changes in Sweetspot: the person, their context and role, linked identities.

The user (`sub`) becomes a person of the registration's tenant with the LMS user id `sub`; the
context claim becomes a context (a launch without one lands in a context per deployment); learners
and managers join its roster. Identifiers the launch carries (email, the xAPI account of the
custom parameter `xapi_user_id`, which an admin maps to `$User.id` in Moodle or `$Canvas.user.id` in
Canvas, with `xapi_home_page` as its homePage or else the issuer, which for Moodle is the site URL
logstore_xapi sends) are linked, and a
provisional learner that xAPI statements created for any of them is merged into the person. The
launch itself counts as engagement: a `launched` learning event on its resource link.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from alignment.database import UnitOfWork
from alignment.errors import NotFound
from alignment.events import record_events
from alignment.identities import Identifier, identify
from alignment.opportunities import OpportunityDraft, get_opportunity, update_opportunity
from alignment.people import Role, find_person, join, upsert_context, upsert_person
from alignment.replanning import replan_person
from alignment.roadmaps import Trigger
from alignment.rules.progress import LearningEvent
from alignment.sentences import REPLAN_ROLE, REPLAN_ROLE_CLEARED
from lti_tool import claims
from lti_tool.deep_linking import OPPORTUNITY_PARAMETER
from lti_tool.launch import ValidLaunch
from lti_tool.registrations import remember_service_links
from lti_tool.roles import Audience, audience_of

LAUNCHED = "http://adlnet.gov/expapi/verbs/launched"
XAPI_ID_PARAMETER = "xapi_user_id"
XAPI_HOME_PAGE_PARAMETER = "xapi_home_page"
ROLE_LABEL_PARAMETER = "role_label"


@dataclass(frozen=True)
class Visitor:
    """Who is using the pages after a launch, and what they may see."""

    tenant_id: int
    person_id: int
    context_id: int
    audience: Audience
    name: str
    locale: str | None
    registration_id: int
    deployment_id: str
    message_type: str
    mentee_lms_ids: tuple[str, ...] = ()
    deep_linking: dict[str, Any] | None = field(default=None, repr=False)
    frame_origins: tuple[str, ...] = ()
    """Origins of the platform pages that may frame Sweetspot and receive its forms (CSP)."""


def admit(uow: UnitOfWork, launch: ValidLaunch, now: datetime) -> Visitor:
    """Record the person, context and roles of a valid launch; return who is visiting."""
    body = launch.body
    registration = launch.registration
    tenant_id = registration.tenant_id
    custom = _object(body, claims.CUSTOM)
    email = body.get("email") if isinstance(body.get("email"), str) else None
    role_label = _role_label(custom)
    before = find_person(uow, tenant_id, str(body["sub"])) if role_label is not None else None
    person = upsert_person(
        uow,
        tenant_id,
        str(body["sub"]),
        _name(body),
        email=email,
        role_started_on=_role_started_on(custom, now.date()),
        role_label=role_label,
    )
    context_claim = _object(body, claims.CONTEXT)
    if context_claim.get("id"):
        title = str(context_claim.get("title") or context_claim.get("label") or context_claim["id"])
        context = upsert_context(uow, tenant_id, str(context_claim["id"]), title)
    else:
        context = upsert_context(
            uow, tenant_id, f"lti-deployment:{launch.deployment_id}", f"{registration.label} (no course)"
        )
    roles = [r for r in body.get(claims.ROLES, []) if isinstance(r, str)]
    mentees = tuple(str(m) for m in body.get(claims.ROLE_SCOPE_MENTOR, []) or [] if isinstance(m, str | int))
    audience = audience_of(roles, bool(mentees))
    if audience is Audience.LEARNER:
        join(uow, context, person, Role.LEARNER, now)
        if before is not None and before.role_label != person.role_label:
            # Another role can mean another org agenda: the roadmaps follow at once.
            reason = REPLAN_ROLE(role=person.role_label) if person.role_label else REPLAN_ROLE_CLEARED()
            replan_person(uow, tenant_id, person.id, Trigger.ORG_AGENDA, reason, now)
    elif audience is Audience.MANAGER or audience_of(roles, False) is Audience.MANAGER:
        join(uow, context, person, Role.MANAGER, now)
    identifiers = [Identifier("lms_user_id", str(body["sub"]))]
    if email:
        identifiers.append(Identifier("email", email))
    xapi_id = str(custom.get(XAPI_ID_PARAMETER) or "").strip()
    if xapi_id and not xapi_id.startswith("$"):  # "$User.id" arrives verbatim when the LMS did not substitute it
        home_page = str(custom.get(XAPI_HOME_PAGE_PARAMETER) or registration.issuer).strip()
        identifiers.append(Identifier("account", f"{home_page} {xapi_id}"))
    identify(uow, tenant_id, person.id, identifiers)
    ags = _object(body, claims.AGS_ENDPOINT)
    nrps = _object(body, claims.NRPS)
    remember_service_links(
        uow,
        registration.id,
        context.id,
        launch.deployment_id,
        ags.get("lineitems") if isinstance(ags.get("lineitems"), str) else None,
        [s for s in ags.get("scope", []) if isinstance(s, str)],
        nrps.get("context_memberships_url") if isinstance(nrps.get("context_memberships_url"), str) else None,
    )
    message_type = str(body.get(claims.MESSAGE_TYPE))
    link_claim = _object(body, claims.RESOURCE_LINK)
    if link_claim.get("id"):
        _place_opportunity(uow, tenant_id, custom.get(OPPORTUNITY_PARAMETER), str(link_claim["id"]))
    if audience is Audience.LEARNER and link_claim.get("id"):
        # A launch finishes nothing, so it is recorded without a re-planning pass.
        record_events(uow, tenant_id, [_engagement(body, person.id, str(link_claim["id"]), now)], people_checked=True)
    presentation = body.get(claims.LAUNCH_PRESENTATION)
    locale = body.get("locale") or (presentation.get("locale") if isinstance(presentation, dict) else None)
    settings = body.get(claims.DEEP_LINKING_SETTINGS)
    return Visitor(
        tenant_id=tenant_id,
        person_id=person.id,
        context_id=context.id,
        audience=audience,
        name=person.name,
        locale=str(locale) if locale else None,
        registration_id=registration.id,
        deployment_id=launch.deployment_id,
        message_type=message_type,
        mentee_lms_ids=mentees,
        deep_linking=settings if isinstance(settings, dict) else None,
        frame_origins=_platform_origins(
            registration.issuer,
            registration.auth_login_url,
            presentation.get("return_url") if isinstance(presentation, dict) else None,
            settings.get("deep_link_return_url") if isinstance(settings, dict) else None,
        ),
    )


def _platform_origins(*urls: object) -> tuple[str, ...]:
    origins = []
    for url in urls:
        if isinstance(url, str):
            parts = urlsplit(url)
            if parts.scheme in ("http", "https") and parts.netloc and f"{parts.scheme}://{parts.netloc}" not in origins:
                origins.append(f"{parts.scheme}://{parts.netloc}")
    return tuple(origins)


def _place_opportunity(uow: UnitOfWork, tenant_id: int, opportunity: object, resource_link_id: str) -> None:
    # A link placed by deep linking names its opportunity; from its first launch the platform's resource
    # link id is mapped to it, so launches and grades through that link count for the opportunity.
    try:
        found = get_opportunity(uow, tenant_id, int(str(opportunity)))
    except (ValueError, NotFound):
        return
    if resource_link_id in found.lti_resource_link_ids:
        return
    draft = OpportunityDraft(
        title=found.title,
        kind=found.kind,
        effort_hours=found.effort_hours,
        skills=found.skills,
        prerequisites=found.prerequisites,
        activity_ids=found.activity_ids,
        lti_resource_link_ids=found.lti_resource_link_ids | {resource_link_id},
        url=found.url,
        description=found.description,
    )
    update_opportunity(uow, tenant_id, found.id, draft)


def _object(body: dict[str, Any], claim: str) -> dict[str, Any]:
    value = body.get(claim)
    return value if isinstance(value, dict) else {}


def _name(body: dict[str, Any]) -> str:
    name = body.get("name")
    if isinstance(name, str) and name.strip():
        return name
    parts = [body.get("given_name"), body.get("family_name")]
    joined = " ".join(p for p in parts if isinstance(p, str) and p.strip())
    if joined:
        return joined
    email = body.get("email")
    return email if isinstance(email, str) and email else f"Learner {str(body['sub'])[:12]}"


def _role_label(custom: dict[str, Any]) -> str | None:
    # An admin maps the person's job role (a profile field) to the custom parameter `role_label`; it picks
    # the context's org agenda for that role. A parameter the LMS did not substitute ("$…") says nothing.
    label = custom.get(ROLE_LABEL_PARAMETER)
    if not isinstance(label, str) or label.strip().startswith("$"):
        return None
    return " ".join(label.split())[:100]


def _role_started_on(custom: dict[str, Any], today: date) -> date | None:
    # An admin maps a profile field to `role_started_on` (a date) or `years_in_role` (a number).
    started = custom.get("role_started_on")
    if isinstance(started, str):
        try:
            return date.fromisoformat(started.strip()[:10])
        except ValueError:
            pass
    years = custom.get("years_in_role")
    try:
        value = float(years) if years is not None else None
    except (TypeError, ValueError):
        value = None
    if value is not None and 0 <= value < 80:
        return today - timedelta(days=round(value * 365.25))
    return None


def _engagement(body: dict[str, Any], person_id: int, resource_link_id: str, now: datetime) -> LearningEvent:
    # One event per launch: the nonce is single use, so it names the launch.
    launch_key = hashlib.sha256(f"{body.get('iss')}|{body.get('nonce')}".encode()).hexdigest()[:32]
    return LearningEvent(
        event_id=f"lti-launch:{launch_key}",
        learner_id=person_id,
        occurred_at=now.astimezone(UTC),
        verb=LAUNCHED,
        lti_resource_link_id=resource_link_id,
    )
