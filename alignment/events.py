"""Learning events as stored: the hand-off from the xAPI listener and LTI launches to the domain.

Recording is idempotent by event id (the xAPI statement id), so the hand-off can be replayed from
the statement store at any time without double counting.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, String, UniqueConstraint, select, update
from sqlalchemy.orm import Mapped, mapped_column

from alignment.database import Base, UnitOfWork, dialect_of, insert_for, utcnow
from alignment.errors import InvalidInput
from alignment.people import PersonRecord
from alignment.rules.progress import LearningEvent


class LearningEventRecord(Base):
    """A learning event as stored."""

    __tablename__ = "learning_events"
    __table_args__ = (
        UniqueConstraint("tenant_id", "event_id"),
        Index("ix_learning_events_person_time", "tenant_id", "person_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[datetime]
    verb: Mapped[str] = mapped_column(String(500))
    activity_id: Mapped[str | None] = mapped_column(String(1000))
    context_activity_ids: Mapped[list[str]] = mapped_column(JSON)
    lti_resource_link_id: Mapped[str | None] = mapped_column(String(255))
    completion: Mapped[bool | None] = mapped_column(Boolean)
    success: Mapped[bool | None] = mapped_column(Boolean)
    progress: Mapped[float | None] = mapped_column(Float)
    voids: Mapped[str | None] = mapped_column(String(100))
    recorded_at: Mapped[datetime]


def record_events(
    uow: UnitOfWork, tenant_id: int, events: Iterable[LearningEvent], *, people_checked: bool = False
) -> int:
    """Store the events not stored before (by event id); return how many were new.

    The learners must be people of the tenant: checked here, unless the caller has just read or written
    them in this unit of work (`people_checked`, a launch) and the query would only repeat that.
    """
    batch = list(events)
    if not batch:
        return 0
    if not people_checked:
        _check_people(uow, tenant_id, {e.learner_id for e in batch})
    for event in batch:
        if event.occurred_at.tzinfo is None:
            raise InvalidInput(f"event {event.event_id}: occurred_at must carry a time zone")
        if event.progress is not None and not 0 <= event.progress <= 1:
            raise InvalidInput(f"event {event.event_id}: progress must be between 0 and 1")
    now = utcnow()
    fresh: dict[str, LearningEvent] = {}
    for event in batch:
        fresh.setdefault(event.event_id, event)
    # ON CONFLICT DO NOTHING: events stored before (the same event id) are skipped in the one statement.
    stored = uow.session.execute(
        _event_insert(dialect_of(uow)),
        [
            {
                "tenant_id": tenant_id,
                "person_id": e.learner_id,
                "event_id": e.event_id,
                "occurred_at": e.occurred_at,
                "verb": e.verb,
                "activity_id": e.activity_id,
                "context_activity_ids": list(e.context_activity_ids),
                "lti_resource_link_id": e.lti_resource_link_id,
                "completion": e.completion,
                "success": e.success,
                "progress": e.progress,
                "voids": e.voids,
                "recorded_at": now,
            }
            for e in fresh.values()
        ],
    )
    return len(stored.all())


@cache
def _event_insert(dialect: str) -> Any:
    return (
        insert_for(dialect, LearningEventRecord.__table__)
        .on_conflict_do_nothing(index_elements=[LearningEventRecord.tenant_id, LearningEventRecord.event_id])
        .returning(LearningEventRecord.id)
    )


def events_by_person(
    uow: UnitOfWork, tenant_id: int, person_ids: Sequence[int], until: datetime | None = None
) -> dict[int, list[LearningEvent]]:
    """The events of these people (before `until`, if given), oldest first, in one query.

    Rows are read as plain columns, not ORM instances: a context's snapshot reads a hundred thousand.
    """
    result: dict[int, list[LearningEvent]] = defaultdict(list)
    if not person_ids:
        return result
    e = LearningEventRecord
    query = select(
        e.person_id,
        e.event_id,
        e.occurred_at,
        e.verb,
        e.activity_id,
        e.context_activity_ids,
        e.lti_resource_link_id,
        e.completion,
        e.success,
        e.progress,
        e.voids,
    ).where(e.tenant_id == tenant_id, e.person_id.in_(list(person_ids)))
    if until is not None:
        query = query.where(e.occurred_at < until)
    rows = uow.session.execute(query.order_by(e.occurred_at, e.id))
    for person, event_id, at, verb, activity, parents, link, completion, success, progress, voids in rows:
        result[person].append(
            LearningEvent(
                event_id=event_id,
                learner_id=person,
                occurred_at=at,
                verb=verb,
                activity_id=activity,
                context_activity_ids=tuple(parents),
                lti_resource_link_id=link,
                completion=completion,
                success=success,
                progress=progress,
                voids=voids,
            )
        )
    return result


def reassign_events(uow: UnitOfWork, tenant_id: int, from_person_id: int, to_person_id: int) -> int:
    """Move a provisional person's events to the person they turned out to be; return how many moved."""
    _check_people(uow, tenant_id, {from_person_id, to_person_id})
    result = uow.session.execute(
        update(LearningEventRecord)
        .where(LearningEventRecord.tenant_id == tenant_id, LearningEventRecord.person_id == from_person_id)
        .values(person_id=to_person_id)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


def _check_people(uow: UnitOfWork, tenant_id: int, person_ids: set[int]) -> None:
    found = set(
        uow.session.scalars(
            select(PersonRecord.id).where(PersonRecord.tenant_id == tenant_id, PersonRecord.id.in_(person_ids))
        )
    )
    missing = sorted(person_ids - found)
    if missing:
        raise InvalidInput(f"unknown person id(s) in this tenant: {', '.join(map(str, missing))}")
