"""The context roster from the platform's Names and Role Provisioning Service (NRPS 2.0).

A sync reads every page of the context's membership container (following Link rel="next", NRPS
§2.4.2), puts learners and managers on the context's roster — so learners who never launched are
known to the alignment engine, which is how "never started" flags can fire — and takes off those the
platform lists as Inactive (or Deleted, in a differences answer) and, on a full sync, those it no
longer lists at all. When the platform offered a rel="differences" link, the next sync asks only for
the changes since then (NRPS §2.4.3); once a day the sync is full regardless, so nothing drifts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from alignment.database import Base, UnitOfWork, UnitOfWorkFactory
from alignment.errors import NotFound
from alignment.identities import Identifier, identify
from alignment.people import ContextRecord, Role, find_person, get_context, join, leave, roster, upsert_person
from lti_tool.registrations import Registration, RegistrationRecord, ServiceLinkRecord, registration_by_id
from lti_tool.roles import MANAGING, context_role_names
from lti_tool.services import PlatformClient, ServiceError

log = structlog.get_logger(__name__)

NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
MEMBERSHIP_CONTAINER = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
FULL_SYNC_EVERY = timedelta(days=1)
MAX_PAGES = 10_000
"""A platform whose `next` links never end is cut off here rather than followed forever."""


class RosterSyncRecord(Base):
    """The latest roster sync of a context from one registration: when, how, and the differences link."""

    __tablename__ = "lti_roster_syncs"
    __table_args__ = (UniqueConstraint("registration_id", "context_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    registration_id: Mapped[int] = mapped_column(ForeignKey("lti_registrations.id", ondelete="CASCADE"))
    context_id: Mapped[int] = mapped_column(ForeignKey("contexts.id", ondelete="CASCADE"), index=True)
    differences_url: Mapped[str | None] = mapped_column(String(2000))
    last_full_sync_at: Mapped[datetime | None]
    last_attempt_at: Mapped[datetime]
    last_success_at: Mapped[datetime | None]
    members: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


@dataclass(frozen=True)
class NrpsMember:
    """One member of a membership container, as the roster needs it."""

    user_id: str
    roles: frozenset[Role]
    active: bool
    name: str
    email: str | None


@dataclass
class RosterSync:
    """What one sync read and changed."""

    context_id: int
    full: bool
    pages: int = 0
    members: int = 0
    joined: int = 0
    left: int = 0
    people: list[int] = field(default_factory=list)


def roster_links(uow: UnitOfWork, tenant_id: int | None = None) -> list[tuple[int, int]]:
    """(registration id, context id) of every context whose launches named a memberships URL."""
    query = select(ServiceLinkRecord.registration_id, ServiceLinkRecord.context_id).where(
        ServiceLinkRecord.memberships_url.is_not(None)
    )
    if tenant_id is not None:
        query = query.join(RegistrationRecord, RegistrationRecord.id == ServiceLinkRecord.registration_id).where(
            RegistrationRecord.tenant_id == tenant_id
        )
    return [(r, c) for r, c in uow.session.execute(query.order_by(ServiceLinkRecord.id))]


@dataclass(frozen=True)
class RosterSyncStatus:
    """A context's roster sync as the admin sees it."""

    context: str
    registration: str
    members: int
    last_success_at: datetime | None
    last_full_sync_at: datetime | None
    last_attempt_at: datetime
    error: str | None


def roster_status(uow: UnitOfWork, tenant_id: int) -> list[RosterSyncStatus]:
    """Every roster sync of the tenant, failing ones first: what the admin pages and the CLI show."""
    rows = uow.session.execute(
        select(RosterSyncRecord, RegistrationRecord.label, ContextRecord.lms_context_id)
        .join(RegistrationRecord, RegistrationRecord.id == RosterSyncRecord.registration_id)
        .join(ContextRecord, ContextRecord.id == RosterSyncRecord.context_id)
        .where(RegistrationRecord.tenant_id == tenant_id)
        .order_by(ContextRecord.lms_context_id, RosterSyncRecord.id)
    )
    statuses = [
        RosterSyncStatus(context, label, r.members, r.last_success_at, r.last_full_sync_at, r.last_attempt_at, r.error)
        for r, label, context in rows
    ]
    return sorted(statuses, key=lambda s: s.error is None)


def sync_roster(
    unit_of_work: UnitOfWorkFactory, client: PlatformClient, registration_id: int, context_id: int, now: datetime
) -> RosterSync:
    """Bring the context's roster in line with the platform's; a failure is recorded, then raised."""
    with unit_of_work(read_only=True) as uow:
        registration, memberships_url = _service(uow, registration_id, context_id)
        state = _state(uow, registration_id, context_id)
        differences = state.differences_url if state else None
        if state is None or state.last_full_sync_at is None or now - state.last_full_sync_at >= FULL_SYNC_EVERY:
            differences = None
    url = differences or memberships_url
    try:
        members, pages, next_differences = _read_all(client, registration, url)
    except ServiceError as error:
        with unit_of_work() as uow:
            record = _state_for_update(uow, registration_id, context_id, now)
            record.error = str(error)
            uow.commit()
        log.warning("nrps roster sync failed", registration_id=registration_id, context_id=context_id, error=str(error))
        raise
    result = RosterSync(context_id, full=differences is None, pages=pages, members=len(members))
    with unit_of_work() as uow:
        _apply(uow, registration, context_id, members, result, now)
        record = _state_for_update(uow, registration_id, context_id, now)
        record.differences_url = next_differences
        record.last_success_at = now
        record.error = None
        if result.full:
            record.last_full_sync_at = now
            record.members = len([m for m in members if m.active])
        uow.commit()
    log.info(
        "nrps roster synced",
        registration_id=registration_id,
        context_id=context_id,
        full=result.full,
        pages=result.pages,
        joined=result.joined,
        left=result.left,
    )
    return result


def parse_member(value: Any, where: str) -> NrpsMember:
    """A member object of a membership container (NRPS §2.2), or ServiceError naming what is wrong."""
    if not isinstance(value, dict) or not isinstance(value.get("user_id"), str | int) or value["user_id"] == "":
        raise ServiceError(f"{where}: a member has no user_id")
    roles = value.get("roles", [])
    if not isinstance(roles, list):
        raise ServiceError(f"{where}: member {value['user_id']}'s roles is not a list")
    names = context_role_names(r for r in roles if isinstance(r, str))
    kept: set[Role] = set()
    if names & MANAGING:
        kept.add(Role.MANAGER)
    if "Learner" in names:
        kept.add(Role.LEARNER)
    status = str(value.get("status") or "Active")
    name = value.get("name") or " ".join(
        str(value[k]) for k in ("given_name", "family_name") if isinstance(value.get(k), str) and value[k]
    )
    email = value.get("email") if isinstance(value.get("email"), str) and value["email"] else None
    return NrpsMember(str(value["user_id"]), frozenset(kept), status == "Active", str(name or ""), email)


def _read_all(client: PlatformClient, registration: Registration, url: str) -> tuple[list[NrpsMember], int, str | None]:
    members: list[NrpsMember] = []
    differences: str | None = None
    seen: set[str] = set()
    next_url: str | None = url
    while next_url:
        if next_url in seen or len(seen) >= MAX_PAGES:
            raise ServiceError(f"the membership pages of {url} do not end (page {next_url} again or too many)")
        seen.add(next_url)
        answer = client.call(registration, [NRPS_SCOPE], "GET", next_url, accept=MEMBERSHIP_CONTAINER)
        body = answer.body
        if not isinstance(body, dict) or not isinstance(body.get("members"), list):
            raise ServiceError(f"GET {next_url}: the answer is not a membership container (no members list)")
        members.extend(parse_member(m, f"GET {next_url}") for m in body["members"])
        differences = answer.links.get("differences", differences)
        next_url = answer.links.get("next")
    return members, len(seen), differences


def _apply(
    uow: UnitOfWork,
    registration: Registration,
    context_id: int,
    members: list[NrpsMember],
    result: RosterSync,
    now: datetime,
) -> None:
    context = get_context(uow, registration.tenant_id, context_id)
    listed: dict[Role, set[int]] = {Role.LEARNER: set(), Role.MANAGER: set()}
    for member in members:
        known = find_person(uow, registration.tenant_id, member.user_id)
        if not member.active:
            for role in Role:
                if known and leave(uow, context, known, role):
                    result.left += 1
            continue
        if not member.roles:
            # Listed, but in no role Sweetspot keeps (a Mentor, say): off the learner and manager rosters.
            for role in Role:
                if known and leave(uow, context, known, role):
                    result.left += 1
            continue
        # NRPS may withhold names and emails (privacy settings); keep what a launch told us then.
        person = upsert_person(
            uow, registration.tenant_id, member.user_id, member.name or (known.name if known else ""), member.email
        )
        identifiers = [Identifier("lms_user_id", member.user_id)]
        if member.email:
            identifiers.append(Identifier("email", member.email))
        identify(uow, registration.tenant_id, person.id, identifiers)
        result.people.append(person.id)
        for role in Role:
            if role in member.roles:
                result.joined += 0 if roster(uow, context, role, [person.id]) else 1
                join(uow, context, person, role, now)
                listed[role].add(person.id)
            elif leave(uow, context, person, role):  # a listed member's roles are all their roles now
                result.left += 1
    if result.full:
        # Members the platform no longer lists have left; people only xAPI knows are not the LMS's to remove.
        for role in Role:
            for current in roster(uow, context, role):
                if current.person.lms_user_id and current.person.id not in listed[role]:
                    leave(uow, context, current.person, role)
                    result.left += 1


def _service(uow: UnitOfWork, registration_id: int, context_id: int) -> tuple[Registration, str]:
    registration = registration_by_id(uow, registration_id)
    link = uow.session.scalar(
        select(ServiceLinkRecord).where(
            ServiceLinkRecord.registration_id == registration_id, ServiceLinkRecord.context_id == context_id
        )
    )
    if link is None or not link.memberships_url:
        raise NotFound(f"no memberships URL is known for context {context_id} of registration {registration_id}")
    return registration, link.memberships_url


def _state(uow: UnitOfWork, registration_id: int, context_id: int) -> RosterSyncRecord | None:
    return uow.session.scalar(
        select(RosterSyncRecord).where(
            RosterSyncRecord.registration_id == registration_id, RosterSyncRecord.context_id == context_id
        )
    )


def _state_for_update(uow: UnitOfWork, registration_id: int, context_id: int, now: datetime) -> RosterSyncRecord:
    record = _state(uow, registration_id, context_id)
    if record is None:
        record = RosterSyncRecord(registration_id=registration_id, context_id=context_id, members=0)
        uow.session.add(record)
    record.last_attempt_at = now
    return record
