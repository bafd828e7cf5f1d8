"""Who an xAPI actor is: resolving mbox, account, openid and mbox_sha1sum to a person of the tenant.

An actor resolves, in order, to a person already linked to one of its identifiers, to the person
whose email it names, or to the person whose LMS user id an `account.name` carries (Moodle's
logstore_xapi sends the Moodle user id with the site URL as homePage). An actor nobody matches
becomes a provisional person, so xAPI-only data still yields roadmaps and flags; when the real person
launches over LTI, `merge_people` folds the provisional one into them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import ForeignKey, Select, String, UniqueConstraint, bindparam, delete, func, select, tuple_, update
from sqlalchemy.orm import Mapped, mapped_column

from alignment.database import Base, UnitOfWork, dialect_of, insert_for, utcnow
from alignment.errors import InvalidInput
from alignment.events import reassign_events
from alignment.flags import StallFlagRecord
from alignment.people import MembershipRecord, PersonRecord
from alignment.roadmaps import RoadmapRecord
from alignment.sweeps import MomentumRecord


class IdentityRecord(Base):
    """One identifier of a person (kind and value), unique within a tenant."""

    __tablename__ = "person_identities"
    __table_args__ = (UniqueConstraint("tenant_id", "kind", "value"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(600))


KINDS = ("email", "mbox_sha1sum", "openid", "account", "lms_user_id")


@dataclass(frozen=True)
class Identifier:
    """An identifier as an edge hands it over: `email` (no mailto:), `mbox_sha1sum`, `openid`, `account`."""

    kind: str
    value: str


def email_sha1(email: str) -> str:
    """The xAPI mbox_sha1sum of an email address (SHA-1 of its `mailto:` IRI)."""
    return hashlib.sha1(f"mailto:{email}".encode()).hexdigest()  # noqa: S324 (the xAPI spec fixes SHA-1)


def link(uow: UnitOfWork, tenant_id: int, person_id: int, identifier: Identifier) -> None:
    """Record that the identifier names this person (an LTI custom `$User.id`, say); a known one stays as it is."""
    if identifier.kind not in KINDS:
        raise InvalidInput(f"unknown identifier kind {identifier.kind!r}")
    _insert_new(uow, tenant_id, person_id, [(identifier.kind, _normal(identifier))])


def identify(uow: UnitOfWork, tenant_id: int, person_id: int, identifiers: Sequence[Identifier]) -> None:
    """Link the identifiers to the person, folding in any provisional person xAPI made for one of them.

    One query finds who holds each identifier; provisional holders are merged into the person; the
    identifiers nobody holds are linked in one statement. An identifier another real person holds stays theirs.
    """
    for identifier in identifiers:
        if identifier.kind not in KINDS:
            raise InvalidInput(f"unknown identifier kind {identifier.kind!r}")
    wanted = list(dict.fromkeys((i.kind, _normal(i)) for i in identifiers))
    if not wanted:
        return
    held = uow.session.execute(_holders(), {"tenant_id": tenant_id, "pairs": wanted}).all()
    for provisional in sorted({row.person_id for row in held if row.provisional and row.person_id != person_id}):
        merge_people(uow, tenant_id, provisional, person_id)
    known = {(row.kind, row.value) for row in held}
    _insert_new(uow, tenant_id, person_id, [pair for pair in wanted if pair not in known])


@cache
def _holders() -> Any:
    return (
        select(IdentityRecord.kind, IdentityRecord.value, IdentityRecord.person_id, PersonRecord.provisional)
        .join(PersonRecord, PersonRecord.id == IdentityRecord.person_id)
        .where(
            IdentityRecord.tenant_id == bindparam("tenant_id"),
            tuple_(IdentityRecord.kind, IdentityRecord.value).in_(bindparam("pairs", expanding=True)),
        )
    )


def _insert_new(uow: UnitOfWork, tenant_id: int, person_id: int, pairs: list[tuple[str, str]]) -> None:
    # ON CONFLICT DO NOTHING: an identifier someone linked meanwhile stays theirs, without an error.
    if pairs:
        uow.session.execute(
            _identity_insert(dialect_of(uow)),
            [{"tenant_id": tenant_id, "person_id": person_id, "kind": kind, "value": value} for kind, value in pairs],
        )


@cache
def _identity_insert(dialect: str) -> Any:
    return insert_for(dialect, IdentityRecord.__table__).on_conflict_do_nothing(
        index_elements=[IdentityRecord.tenant_id, IdentityRecord.kind, IdentityRecord.value]
    )


def resolve_actor(
    uow: UnitOfWork, tenant_id: int, identifiers: list[Identifier], name: str | None, account_name: str | None = None
) -> int:
    """The person these identifiers name, creating a provisional one when nobody matches."""
    return resolve_actors(uow, tenant_id, [Actor(tuple(identifiers), name, account_name)])[0]


@dataclass(frozen=True)
class Actor:
    """An xAPI actor as the identity resolver takes it: its identifiers, name and `account.name`."""

    identifiers: tuple[Identifier, ...]
    name: str | None = None
    account_name: str | None = None


def resolve_actors(uow: UnitOfWork, tenant_id: int, actors: Sequence[Actor]) -> list[int]:
    """The person each actor names, as `resolve_actor` one after the other would find them, in three
    queries and two flushes however many actors (an actor may name a person an earlier one created)."""
    normal = []
    for actor in actors:
        if not actor.identifiers:
            raise InvalidInput("an actor needs at least one identifier")
        normal.append([(i.kind, _normal(i)) for i in actor.identifiers])
    wanted = sorted({pair for pairs in normal for pair in pairs})
    linked: dict[tuple[str, str], int | PersonRecord] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        for kind, value, owner in uow.session.execute(
            select(IdentityRecord.kind, IdentityRecord.value, IdentityRecord.person_id).where(
                IdentityRecord.tenant_id == tenant_id, tuple_(IdentityRecord.kind, IdentityRecord.value).in_(chunk)
            )
        ):
            linked[(kind, value)] = owner
    by_email = _lowest_ids(
        uow,
        select(func.lower(PersonRecord.email), PersonRecord.id).where(
            PersonRecord.tenant_id == tenant_id,
            func.lower(PersonRecord.email).in_(sorted({v for k, v in wanted if k == "email"})),
        ),
    )
    by_account = _lowest_ids(
        uow,
        select(PersonRecord.lms_user_id, PersonRecord.id).where(
            PersonRecord.tenant_id == tenant_id,
            PersonRecord.lms_user_id.in_(sorted({a.account_name for a in actors if a.account_name})),
        ),
    )
    found: list[int | PersonRecord] = []
    fresh: list[tuple[int | PersonRecord, list[tuple[str, str]]]] = []
    for actor, pairs in zip(actors, normal, strict=True):
        person = next((linked[pair] for pair in pairs if pair in linked), None)
        if person is None:
            person = next((by_email[v] for k, v in pairs if k == "email" and v in by_email), None)
            if person is None and actor.account_name:
                person = by_account.get(actor.account_name)
            if person is None:
                person = PersonRecord(
                    tenant_id=tenant_id,
                    lms_user_id=None,
                    name=" ".join((actor.name or "").split())[:200] or "Unknown learner",
                    email=next((v for k, v in pairs if k == "email"), None),
                    provisional=True,
                    created_at=utcnow(),
                )
                uow.session.add(person)
            for pair in pairs:
                linked[pair] = person
            fresh.append((person, pairs))
        found.append(person)
    uow.session.flush()
    uow.session.add_all(
        IdentityRecord(tenant_id=tenant_id, person_id=_id(person), kind=kind, value=value)
        for person, pairs in fresh
        for kind, value in dict.fromkeys(pairs)
    )
    uow.session.flush()
    return [_id(person) for person in found]


_CHUNK = 500
"""Identifiers looked up per query: well under every database's limit on bound parameters."""


def _lowest_ids(uow: UnitOfWork, query: Select[Any, Any]) -> dict[str, int]:
    found: dict[str, int] = {}
    for key, person in uow.session.execute(query.order_by(PersonRecord.id.desc())):
        if key is not None:
            found[key] = person
    return found


def _id(person: int | PersonRecord) -> int:
    return person if isinstance(person, int) else person.id


def merge_people(uow: UnitOfWork, tenant_id: int, provisional_id: int, person_id: int) -> None:
    """Fold a provisional person into the real one: identities, events, memberships, roadmaps and flags move."""
    provisional = uow.session.get(PersonRecord, provisional_id)
    if provisional is None or provisional.tenant_id != tenant_id or not provisional.provisional:
        raise InvalidInput(f"person {provisional_id} is not a provisional person of this tenant")
    reassign_events(uow, tenant_id, provisional_id, person_id)
    for table in (IdentityRecord, RoadmapRecord, StallFlagRecord, MomentumRecord):
        uow.session.execute(update(table).where(table.person_id == provisional_id).values(person_id=person_id))
    held = set(
        uow.session.execute(
            select(MembershipRecord.context_id, MembershipRecord.role).where(MembershipRecord.person_id == person_id)
        ).all()
    )
    for membership in list(
        uow.session.scalars(select(MembershipRecord).where(MembershipRecord.person_id == provisional_id))
    ):
        if (membership.context_id, membership.role) in held:
            uow.session.delete(membership)
        else:
            membership.person_id = person_id
    uow.session.flush()
    uow.session.execute(delete(PersonRecord).where(PersonRecord.id == provisional_id))
    uow.session.flush()


def _normal(identifier: Identifier) -> str:
    value = identifier.value.strip()
    if identifier.kind in ("email", "mbox_sha1sum"):
        value = value.lower()
    if len(value) > 600 or not value:
        raise InvalidInput(f"{identifier.kind} identifier must be 1 to 600 characters")
    return value
