"""Importing what HR knows of people: since when each holds their role, and its name.

The LMS may not send either (the LTI custom parameters `role_started_on` and `role_label` need an admin
to map a profile field), yet the plateau rule needs the first and org agendas per role need the second.
A people CSV (`frameworks.parse_people_csv`) fills them in, all or nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, String, func, select
from sqlalchemy.orm import QueryableAttribute

from alignment import sentences
from alignment.database import UnitOfWork, among
from alignment.frameworks import PersonRow
from alignment.messages import Message
from alignment.people import PersonRecord, upsert_person
from alignment.replanning import replan_people
from alignment.roadmaps import Trigger


@dataclass(frozen=True)
class PeopleImport:
    """What importing a people CSV did."""

    created: int
    updated: int
    unchanged: int
    unmatched: tuple[int, ...]
    """The lines that gave only an email and named nobody: an email alone does not make an LMS identity."""
    replanned: int
    """Roadmaps that changed because a learner's role label did (it picks the org agenda for their role)."""


def import_people(uow: UnitOfWork, tenant_id: int, rows: Sequence[PersonRow], now: datetime) -> PeopleImport:
    """Set each row's role start and role label on the person it names; a value the row leaves empty stays.

    A row finds its person by LMS user id, else by email (the lowest id among people with that address, as
    statements are matched). A row whose LMS user id nobody has yet makes the person, with the row's name
    (the LMS's replaces it at their first launch) and email, so that what HR knows holds from the start.
    """
    by_lms_id = _people(uow, tenant_id, PersonRecord.lms_user_id, [r.lms_user_id for r in rows if r.lms_user_id])
    by_email = _people(
        uow,
        tenant_id,
        func.lower(PersonRecord.email, type_=String()),
        [r.email.lower() for r in rows if r.email and not r.lms_user_id],
    )
    created = updated = unchanged = 0
    unmatched = []
    roles_changed: dict[int, Message] = {}
    for row in rows:
        record = by_lms_id.get(row.lms_user_id) if row.lms_user_id else by_email.get((row.email or "").lower())
        if record is None and row.lms_user_id is None:
            unmatched.append(row.line)
            continue
        if record is None:
            assert row.lms_user_id is not None
            upsert_person(
                uow, tenant_id, row.lms_user_id, row.name or "", row.email, row.role_started_on, row.role_label
            )
            created += 1
            continue
        changes = {
            name: value
            for name, value in (("role_started_on", row.role_started_on), ("role_label", row.role_label))
            if value is not None and getattr(record, name) != value
        }
        if not changes:
            unchanged += 1
            continue
        for name, value in changes.items():
            setattr(record, name, value)
        updated += 1
        if "role_label" in changes:
            roles_changed[record.id] = sentences.REPLAN_ROLE(role=row.role_label)
    uow.session.flush()
    replanned = replan_people(uow, tenant_id, roles_changed, Trigger.ORG_AGENDA, now)
    return PeopleImport(created, updated, unchanged, tuple(unmatched), replanned)


def _people(
    uow: UnitOfWork, tenant_id: int, key: ColumnElement[Any] | QueryableAttribute[Any], values: list[str]
) -> dict[str, PersonRecord]:
    """The tenant's people by `key` (the lowest id where several share a value)."""
    if not values:
        return {}
    found: dict[str, PersonRecord] = {}
    records = uow.session.execute(
        select(key, PersonRecord)
        .where(PersonRecord.tenant_id == tenant_id, among(uow, key, sorted(set(values))))
        .order_by(PersonRecord.id)
    )
    for value, record in records:
        found.setdefault(value, record)
    return found
