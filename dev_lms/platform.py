"""`DevLms`: the platform's state and its Python API for the demo and the tests.

One `DevLms` owns a directory (its SQLite file and RSA key) and knows its base URL, which is also its
issuer. Seed it with `add_course` and `add_person`, register a tool with `register_tool_dynamically`
(or `register_tool` for the manual path), place it with `add_resource_link` or deep linking, and start
launches with `launch_form`. `create_app(lms)` serves it over HTTP.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dev_lms import vocabulary as v
from dev_lms.errors import DevLmsError
from dev_lms.keys import PlatformKey
from dev_lms.launch import LoginInitiation, start_deep_linking, start_resource_link_launch
from dev_lms.records import (
    CourseRef,
    Gradebook,
    LineItemSpec,
    PersonRef,
    ResourceLinkRef,
    ScoreView,
    ToolRegistration,
)
from dev_lms.registration import register_manually, start_dynamic_registration
from dev_lms.storage import (
    Course,
    Deployment,
    LineItem,
    Membership,
    Person,
    ResourceLink,
    Result,
    ServiceCall,
    Setting,
    Tool,
    dispose,
    next_revision,
    open_database,
    setting,
    take_one,
    unit_of_work,
    utc,
)

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """Now, in UTC."""
    return datetime.now(UTC)


class DevLms:
    """A running development LMS: storage, key, URLs, clock and the HTTP client it calls tools with."""

    def __init__(
        self,
        directory: Path | str,
        base_url: str,
        *,
        clock: Clock = system_clock,
        http: requests.Session | None = None,
        key_bits: int = 2048,
        name: str = "Sweetspot development LMS",
    ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        parts = urlsplit(base_url)
        if parts.scheme not in {"http", "https"} or not parts.netloc or parts.query or parts.fragment:
            raise DevLmsError(f"base_url must be an http(s) URL without query or fragment, not {base_url!r}")
        self.issuer = base_url.rstrip("/")
        self.name = name
        self.clock = clock
        self.http = http or requests.Session()
        self.key = PlatformKey.load_or_create(self.directory, key_bits)
        self.sessions: sessionmaker[Session] = open_database(self.directory)
        self.guid = self._stable_guid()

    def close(self) -> None:
        """Release the database connections and the HTTP client."""
        dispose(self.sessions)
        self.http.close()

    # URLs --------------------------------------------------------------------------------------------

    def url(self, path: str) -> str:
        """An absolute URL on this platform."""
        return self.issuer + path

    @property
    def jwks_url(self) -> str:
        """Where the platform's public keys are."""
        return self.url("/.well-known/jwks.json")

    @property
    def authorization_url(self) -> str:
        """The OIDC authorization endpoint (the tool's redirect target after login initiation)."""
        return self.url("/oidc/auth")

    @property
    def token_url(self) -> str:
        """The OAuth 2 client-credentials token endpoint; also the `aud` of client assertions."""
        return self.url("/oauth2/token")

    @property
    def openid_configuration_url(self) -> str:
        """The OpenID configuration with the LTI platform configuration (LTI DR 1.0 §3.4)."""
        return self.url("/.well-known/openid-configuration")

    @property
    def registration_endpoint(self) -> str:
        """Where tools POST their registration."""
        return self.url("/registrations")

    @property
    def deep_link_return_url(self) -> str:
        """Where tools POST their deep-linking response."""
        return self.url("/deep-linking/return")

    def lineitems_url(self, course_id: int) -> str:
        """The AGS line item container of a course."""
        return self.url(f"/api/ags/{course_id}/lineitems")

    def lineitem_url(self, course_id: int, line_item_id: int) -> str:
        """One AGS line item."""
        return self.url(f"/api/ags/{course_id}/lineitems/{line_item_id}")

    def memberships_url(self, course_id: int) -> str:
        """The NRPS membership container of a course."""
        return self.url(f"/api/nrps/{course_id}/memberships")

    # Seeding -----------------------------------------------------------------------------------------

    def add_course(self, context_id: str, title: str, label: str = "") -> CourseRef:
        """Create a course (an LTI context)."""
        if not context_id.strip() or len(context_id) > 255:
            raise DevLmsError("context_id must be 1 to 255 characters")
        if not title.strip():
            raise DevLmsError("a course needs a title")
        with unit_of_work(self.sessions) as session:
            if session.scalar(select(Course).where(Course.context_id == context_id)) is not None:
                raise DevLmsError(f"a course with context_id {context_id!r} already exists")
            course = Course(context_id=context_id, title=title, label=label or title[:100])
            session.add(course)
            session.flush()
            return _course_ref(course)

    def course(self, context_id: str) -> CourseRef:
        """The course with this context id."""
        with self.sessions() as session:
            course = session.scalar(select(Course).where(Course.context_id == context_id))
            if course is None:
                raise DevLmsError(f"no course with context_id {context_id!r}")
            return _course_ref(course)

    def courses(self) -> list[CourseRef]:
        """Every course."""
        with self.sessions() as session:
            return [_course_ref(course) for course in session.scalars(select(Course).order_by(Course.id))]

    def add_person(
        self,
        course: CourseRef,
        name: str,
        email: str,
        roles: Sequence[str],
        *,
        given_name: str | None = None,
        family_name: str | None = None,
        user_id: str | None = None,
        custom: dict[str, str] | None = None,
        role_scope_mentor: Sequence[str] = (),
    ) -> PersonRef:
        """Create a person and enrol them in `course` with `roles` (full LTI role URIs)."""
        if not name.strip():
            raise DevLmsError("a person needs a name")
        if "@" not in email:
            raise DevLmsError(f"{email!r} is not an email address")
        _check_roles(name, roles)
        if role_scope_mentor and v.MENTOR not in roles:
            raise DevLmsError("role_scope_mentor is only for people with the Mentor role")
        for key, value in (custom or {}).items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise DevLmsError("custom attributes must map strings to strings")
        parts = name.split()
        with unit_of_work(self.sessions) as session:
            user_id = user_id or secrets.token_hex(8)
            if session.scalar(select(Person).where(Person.user_id == user_id)) is not None:
                raise DevLmsError(f"a person with user_id {user_id!r} already exists")
            person = Person(
                user_id=user_id,
                name=name,
                given_name=given_name if given_name is not None else parts[0],
                family_name=family_name if family_name is not None else " ".join(parts[1:]),
                email=email,
                custom=dict(custom or {}),
            )
            session.add(person)
            session.flush()
            session.add(
                Membership(
                    course_id=course.id,
                    person_id=person.id,
                    roles=list(roles),
                    role_scope_mentor=list(role_scope_mentor),
                    status="Active",
                    revision=next_revision(session),
                )
            )
            return PersonRef(person.id, person.user_id, person.name, person.email, tuple(roles))

    def people(self, course: CourseRef) -> list[tuple[PersonRef, str]]:
        """Every member of `course` with their membership status."""
        with self.sessions() as session:
            rows = session.execute(
                select(Person, Membership)
                .join(Membership, Membership.person_id == Person.id)
                .where(Membership.course_id == course.id, Membership.status != "Deleted")
                .order_by(Person.id)
            )
            return [(PersonRef(p.id, p.user_id, p.name, p.email, tuple(m.roles)), m.status) for p, m in rows]

    def deactivate_member(self, course: CourseRef, person: PersonRef) -> None:
        """Mark `person` Inactive in `course` (they left): NRPS differences will show it."""
        self._set_status(course, person, "Inactive")

    def reactivate_member(self, course: CourseRef, person: PersonRef) -> None:
        """Mark `person` Active again in `course`."""
        self._set_status(course, person, "Active")

    def remove_member(self, course: CourseRef, person: PersonRef) -> None:
        """Unenrol `person`: gone from the roster, reported `Deleted` by NRPS differences (NRPS 2.0 §2.4.2)."""
        self._set_status(course, person, "Deleted")

    def enrol(self, course: CourseRef, person: PersonRef, roles: Sequence[str]) -> None:
        """Enrol an existing person in another course (or again, after removal) with `roles`."""
        _check_roles(person.name, roles)
        with unit_of_work(self.sessions) as session:
            membership = session.scalar(
                select(Membership).where(Membership.course_id == course.id, Membership.person_id == person.id)
            )
            if membership is not None and membership.status != "Deleted":
                raise DevLmsError(f"{person.name} is already a member of {course.title}")
            revision = next_revision(session)
            if membership is None:
                membership = Membership(course_id=course.id, person_id=person.id, role_scope_mentor=[])
                session.add(membership)
            membership.roles = list(roles)
            membership.status = "Active"
            membership.revision = revision

    def _set_status(self, course: CourseRef, person: PersonRef, status: str) -> None:
        with unit_of_work(self.sessions) as session:
            membership = session.scalar(
                select(Membership).where(Membership.course_id == course.id, Membership.person_id == person.id)
            )
            if membership is None:
                raise DevLmsError(f"{person.name} is not a member of {course.title}")
            if membership.status != status:
                membership.status = status
                membership.revision = next_revision(session)

    # Tools and placements ---------------------------------------------------------------------------

    def register_tool(
        self,
        name: str,
        *,
        initiate_login_uri: str,
        redirect_uris: Sequence[str],
        jwks_uri: str,
        target_link_uri: str,
        deep_link_uri: str | None = None,
        scopes: Sequence[str] = v.SERVICE_SCOPES,
        custom_parameters: dict[str, str] | None = None,
    ) -> ToolRegistration:
        """Register a tool by hand (the manual path a platform admin fills in); returns its ids."""
        return register_manually(
            self,
            name=name,
            initiate_login_uri=initiate_login_uri,
            redirect_uris=list(redirect_uris),
            jwks_uri=jwks_uri,
            target_link_uri=target_link_uri,
            deep_link_uri=deep_link_uri,
            scopes=list(scopes),
            custom_parameters=dict(custom_parameters or {}),
        )

    def register_tool_dynamically(self, registration_url: str, *, confirm: bool = False) -> ToolRegistration:
        """Open the tool's registration URL as the admin's browser would and return what it registered.

        `confirm=True` also submits the page's one form, for a tool that asks the admin to confirm.
        """
        return start_dynamic_registration(self, registration_url, confirm=confirm)

    def tools(self) -> list[Tool]:
        """Every registered tool (detached rows)."""
        with self.sessions() as session:
            return list(session.scalars(select(Tool).order_by(Tool.created_at)))

    def deployment_of(self, client_id: str) -> str:
        """The deployment id of a registered tool."""
        with self.sessions() as session:
            deployment = session.scalar(select(Deployment).where(Deployment.client_id == client_id))
            if deployment is None:
                raise DevLmsError(f"no tool with client_id {client_id!r}")
            return deployment.deployment_id

    def add_resource_link(
        self,
        course: CourseRef,
        client_id: str,
        title: str,
        *,
        url: str | None = None,
        custom: dict[str, str] | None = None,
        line_item: LineItemSpec | None = None,
    ) -> ResourceLinkRef:
        """Place a registered tool in a course (as an admin adding an activity would)."""
        if not title.strip():
            raise DevLmsError("a resource link needs a title")
        deployment_id = self.deployment_of(client_id)
        with unit_of_work(self.sessions) as session:
            link = ResourceLink(
                id=secrets.token_hex(8),
                course_id=course.id,
                client_id=client_id,
                deployment_id=deployment_id,
                title=title,
                text="",
                url=url,
                custom=dict(custom or {}),
                created_at=self.clock(),
            )
            session.add(link)
            if line_item is not None:
                session.add(
                    LineItem(
                        course_id=course.id,
                        client_id=client_id,
                        resource_link_id=link.id,
                        resource_id=line_item.resource_id,
                        tag=line_item.tag,
                        label=line_item.label,
                        score_maximum=line_item.score_maximum,
                    )
                )
            return ResourceLinkRef(link.id, course.id, client_id, title)

    def resource_links(self, course: CourseRef) -> list[ResourceLinkRef]:
        """The placements in a course."""
        with self.sessions() as session:
            links = session.scalars(
                select(ResourceLink).where(ResourceLink.course_id == course.id).order_by(ResourceLink.created_at)
            )
            return [ResourceLinkRef(link.id, link.course_id, link.client_id, link.title) for link in links]

    # Launches ---------------------------------------------------------------------------------------

    def launch_form(
        self,
        person: PersonRef,
        resource_link: ResourceLinkRef,
        *,
        method: str = "POST",
        document_target: str = "iframe",
        offer_platform_storage: bool = True,
    ) -> LoginInitiation:
        """The third-party initiated login to send to the tool for `person` opening `resource_link`.

        `offer_platform_storage=False` leaves out `lti_storage_target`, for a scripted browser that runs
        no JavaScript and so cannot answer the tool's lti.put_data messages.
        """
        return start_resource_link_launch(
            self,
            person,
            resource_link,
            method=method,
            document_target=document_target,
            offer_platform_storage=offer_platform_storage,
        )

    def deep_linking_form(
        self, person: PersonRef, course: CourseRef, client_id: str, *, method: str = "POST"
    ) -> LoginInitiation:
        """The login initiation of a deep-linking request: `person` adds the tool to `course`."""
        return start_deep_linking(self, person, course, client_id, method=method)

    # Reading back -----------------------------------------------------------------------------------

    def scores(self, course: CourseRef, label: str | None = None) -> list[ScoreView]:
        """Every recorded score in the course (optionally of the line items with this label)."""
        with self.sessions() as session:
            query = (
                select(Result, LineItem)
                .join(LineItem, LineItem.id == Result.line_item_id)
                .where(LineItem.course_id == course.id)
                .order_by(LineItem.id, Result.user_id)
            )
            if label is not None:
                query = query.where(LineItem.label == label)
            return [
                ScoreView(
                    item.label,
                    result.user_id,
                    result.score_given,
                    result.score_maximum,
                    result.comment,
                    result.activity_progress,
                    result.grading_progress,
                    utc(result.timestamp),
                )
                for result, item in session.execute(query)
            ]

    def line_items(self, course: CourseRef) -> list[LineItem]:
        """The course's line items (detached rows)."""
        with self.sessions() as session:
            return list(session.scalars(select(LineItem).where(LineItem.course_id == course.id).order_by(LineItem.id)))

    def gradebook(self, course: CourseRef) -> Gradebook:
        """The course gradebook: line items as columns, one row per learner."""
        book = Gradebook(course)
        items = self.line_items(course)
        by_cell = {(s.line_item_label, s.user_id): s for s in self.scores(course)}
        book.columns = [{"id": item.id, "label": item.label, "maximum": item.score_maximum} for item in items]
        for person, status in self.people(course):
            if v.LEARNER not in person.roles:
                continue
            cells = [by_cell.get((item.label, person.user_id)) for item in items]
            book.rows.append({"person": person, "status": status, "cells": cells})
        return book

    def fail_next_service_calls(self, count: int) -> None:
        """Make the next `count` service calls (token, AGS, NRPS) answer 503, to test a tool's retries."""
        if count < 0:
            raise DevLmsError("the number of calls to fail cannot be negative")
        with unit_of_work(self.sessions) as session:
            setting(session, "fail_next_service_calls").value = count

    def failures_pending(self) -> int:
        """How many service calls will still fail."""
        with self.sessions() as session:
            switch = session.get(Setting, "fail_next_service_calls")
            return switch.value if switch else 0

    def take_failure(self) -> bool:
        """Whether this service call should fail (and count it)."""
        with unit_of_work(self.sessions) as session:
            return take_one(session, "fail_next_service_calls")

    def record_call(self, client_id: str | None, method: str, path: str, status: int, detail: str = "") -> None:
        """Log one service call."""
        with unit_of_work(self.sessions) as session:
            session.add(
                ServiceCall(
                    at=self.clock(), client_id=client_id, method=method, path=path, status=status, detail=detail[:500]
                )
            )

    def recent_calls(self, limit: int = 100) -> list[ServiceCall]:
        """The latest service calls, newest first."""
        with self.sessions() as session:
            return list(session.scalars(select(ServiceCall).order_by(ServiceCall.id.desc()).limit(limit)))

    def _stable_guid(self) -> str:
        """A platform instance GUID for `tool_platform.guid`, fixed for this directory."""
        path = self.directory / "platform-guid"
        if not path.exists():
            path.write_text(secrets.token_hex(16))
        return path.read_text().strip()


def _check_roles(name: str, roles: Sequence[str]) -> None:
    if not roles:
        raise DevLmsError(f"{name} needs at least one role")
    for role in roles:
        if not role.startswith(v.ROLE_VOCABULARIES):
            raise DevLmsError(f"role {role!r} is not a full LTI role URI (LTI Core 1.3 Appendix A.2)")


def _course_ref(course: Course) -> CourseRef:
    return CourseRef(course.id, course.context_id, course.title, course.label)
