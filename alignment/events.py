"""Learning events as stored: the hand-off from the xAPI listener and LTI launches to the domain.

Recording is idempotent by event id (the xAPI statement id), so the hand-off can be replayed from
the statement store at any time without double counting. Recording also keeps each learner's running
tallies (`alignment.tallies`): what sweeps, re-plans and pages read instead of every event.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ColumnElement,
    Float,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    bindparam,
    delete,
    insert,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from alignment.database import Base, UnitOfWork, among, among_param, dialect_of, insert_for, utcnow
from alignment.errors import InvalidInput
from alignment.mappings import every_matcher, matchers_naming
from alignment.people import PersonRecord
from alignment.rules.progress import (
    ItemProgress,
    LearningEvent,
    MatcherIndex,
    advance,
    effective_events,
    progress_by_opportunity,
)
from alignment.tallies import (
    BUILT_FOR_EVER,
    ItemProgressRecord,
    LearnerActivityRecord,
    Learning,
    days_between,
    encode_days,
    progress_row,
    with_days,
)

REBUILD_CHUNK = 500
"""Learners whose tallies are rebuilt per round trip: their events are held in memory together."""


class LearningEventRecord(Base):
    """A learning event as stored."""

    __tablename__ = "learning_events"
    __table_args__ = (
        UniqueConstraint("tenant_id", "event_id"),
        Index("ix_learning_events_person_time", "tenant_id", "person_id", "occurred_at"),
        # Found by index: the few voiding statements, and the events of an LTI link when it gets mapped.
        Index(
            "ix_learning_events_links",
            "tenant_id",
            "lti_resource_link_id",
            sqlite_where=text("lti_resource_link_id IS NOT NULL"),
            postgresql_where=text("lti_resource_link_id IS NOT NULL"),
        ),
        Index(
            "ix_learning_events_voids",
            "tenant_id",
            "voids",
            sqlite_where=text("voids IS NOT NULL"),
            postgresql_where=text("voids IS NOT NULL"),
        ),
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


@dataclass(frozen=True)
class Recorded:
    """What recording a batch of events did."""

    new: int
    finished: Mapping[int, set[int]]
    """For each learner, the opportunities (of any status) their new events finished."""
    unmatched: frozenset[str] = frozenset()
    """The activity ids of new events no opportunity (of any status) matches, by themselves or their context."""


def record_events(
    uow: UnitOfWork, tenant_id: int, events: Iterable[LearningEvent], *, people_checked: bool = False
) -> int:
    """Store the events not stored before (by event id); return how many were new."""
    return record_learning(uow, tenant_id, events, people_checked=people_checked).new


def record_learning(
    uow: UnitOfWork, tenant_id: int, events: Iterable[LearningEvent], *, people_checked: bool = False
) -> Recorded:
    """Store the events not stored before (by event id) and add them to their learners' tallies.

    The learners must be people of the tenant: checked here, unless the caller has just read or written
    them in this unit of work (`people_checked`, a launch) and the query would only repeat that.
    """
    batch = list(events)
    if not batch:
        return Recorded(0, {})
    # The learners' tallies are locked first; one of the tenant's is proof enough that its learner is a
    # person of the tenant, so only learners without one are looked up.
    tallies = _locked_tallies(uow, tenant_id, sorted({e.learner_id for e in batch}), people_checked)
    for event in batch:
        if event.occurred_at.tzinfo is None:
            raise InvalidInput(f"event {event.event_id}: occurred_at must carry a time zone")
        if event.progress is not None and not 0 <= event.progress <= 1:
            raise InvalidInput(f"event {event.event_id}: progress must be between 0 and 1")
    now = utcnow()
    batch_by_id: dict[str, LearningEvent] = {}
    for event in batch:
        batch_by_id.setdefault(event.event_id, event)
    # Stored once by id: an event already stored is skipped by the database, in the same statement.
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
            for e in batch_by_id.values()
        ],
    ).all()
    new_ids = {event_id for event_id, _ in stored}
    voided = {event_id for event_id, voided in stored if voided}
    fresh = {event_id: event for event_id, event in batch_by_id.items() if event_id in new_ids}
    if not fresh:
        return Recorded(0, {})
    new = list(fresh.values())
    index = matchers_naming(
        uow,
        tenant_id,
        {a for e in new for a in (e.activity_id, *e.context_activity_ids) if a},
        {e.lti_resource_link_id for e in new if e.lti_resource_link_id},
    )
    unmatched = frozenset(e.activity_id for e in new if e.activity_id and e.voids is None and not index.matches(e))
    return Recorded(len(fresh), tally(uow, tenant_id, new, index, tallies, voided), unmatched)


@cache
def _event_insert(dialect: str) -> Any:
    """Store events not stored yet, returning each new one's id and whether an event stored before voids it."""
    table = LearningEventRecord.__table__
    # Written out: SQLite's RETURNING clause is compiled without table names, which would lose the correlation.
    voided = literal_column(
        "EXISTS (SELECT 1 FROM learning_events AS voider WHERE voider.tenant_id = learning_events.tenant_id"
        " AND voider.voids = learning_events.event_id)",
        Boolean,
    )
    return (
        insert_for(dialect, table)
        .on_conflict_do_nothing(index_elements=[table.c.tenant_id, table.c.event_id])
        .returning(table.c.event_id, voided)
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
    ).where(e.tenant_id == tenant_id, among(uow, e.person_id, person_ids))
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
    rebuild_learners(uow, tenant_id, sorted({from_person_id, to_person_id}))
    return int(result.rowcount)  # type: ignore[attr-defined]


# --- tallies --------------------------------------------------------------------------------------------


def learning_as_of(
    uow: UnitOfWork,
    tenant_id: int,
    person_ids: Sequence[int],
    as_of: datetime,
    index: MatcherIndex,
    days_since: date | None,
) -> dict[int, Learning]:
    """Each learner's learning before `as_of`: progress on the opportunities `index` knows, and active days
    from `days_since` on (none without it). Read from the tallies where they hold at `as_of`, else from the
    events."""
    if not person_ids:
        return {}
    wanted = index.opportunities
    query = _learning_query(dialect_of(uow))
    found = uow.session.execute(query, {"tenant_id": tenant_id, "people": list(person_ids), "as_of": as_of})
    rows: dict[int, tuple[datetime | None, datetime | None, date | None, bytes]] = {}
    progress: dict[int, dict[int, ItemProgress]] = defaultdict(dict)
    for person, latest, last, days_from, bits, opportunity, *item in found:
        rows[person] = (latest, last, days_from, bits)
        if opportunity is not None and opportunity in wanted:
            progress[person][opportunity] = ItemProgress(opportunity, *item)
    tallied = [p for p in person_ids if p in rows and (latest := rows[p][0]) is not None and latest < as_of]
    last_day = as_of.date()
    result = {
        person: Learning(
            progress[person],
            rows[person][1],
            days_between(rows[person][2], rows[person][3], days_since, last_day)
            if days_since is not None
            else frozenset(),
        )
        for person in tallied
    }
    rest = [p for p in person_ids if p not in result]
    for person, events in events_by_person(uow, tenant_id, rest, until=as_of).items():
        standing = effective_events(events)
        result[person] = Learning(
            progress_by_opportunity(standing, index),
            standing[-1].occurred_at if standing else None,
            frozenset(day for e in standing if days_since is not None and (day := e.occurred_at.date()) >= days_since),
        )
    nothing = Learning({}, None, frozenset())
    return {person: result.get(person, nothing) for person in person_ids}


@cache
def _learning_query(dialect: str) -> Any:
    """Each of the tenant's learners `people`'s activity tally and, where the tallies hold at `as_of`, their
    progress rows: one query."""
    a, i = LearnerActivityRecord, ItemProgressRecord
    return (
        select(a.person_id, a.latest_event_at, a.last_activity_at, a.days_from, a.active_days, *_ITEM_COLUMNS)
        .outerjoin(i, (i.person_id == a.person_id) & (a.latest_event_at < bindparam("as_of")))
        .where(a.tenant_id == bindparam("tenant_id"), among_param(dialect, a.person_id, "people"))
    )


def tally(
    uow: UnitOfWork,
    tenant_id: int,
    events: Sequence[LearningEvent],
    index: MatcherIndex,
    rows: Mapping[int, Any],
    voided: Collection[str],
) -> dict[int, set[int]]:
    """Add newly stored events to their learners' tallies; return, per learner, the opportunities (of any
    status) those events finished. `index` holds every mapping of the activities and links they name
    (`mappings.matchers_naming`), `rows` the learners' locked tallies (`_locked_tallies`), and `voided` the
    ids of those events that events stored before them void.

    Learners whose tallies the events cannot simply be added to — a voiding event, an event a stored one
    voids, or no tally yet — are rebuilt from all their events instead.
    """
    if not events:
        return {}
    people = sorted({e.learner_id for e in events})
    unbuilt = [p for p in people if rows[p].latest_event_at is None]
    # A learner without a tally yet starts from an empty one, unless events of theirs were stored without
    # one (before tallies were kept): then it is built from those.
    rebuild = set(
        uow.session.scalars(
            select(LearningEventRecord.person_id)
            .distinct()
            .where(
                LearningEventRecord.tenant_id == tenant_id,
                among(uow, LearningEventRecord.person_id, unbuilt),
                LearningEventRecord.event_id.not_in([e.event_id for e in events]),
            )
        )
        if unbuilt
        else []
    )
    rows = {**rows, **{p: _EMPTY_TALLY for p in unbuilt if p not in rebuild}}
    rebuild |= {e.learner_id for e in events if e.voids is not None}
    # The learners of the stored events that void new ones are rebuilt (usually none: read only if any).
    ids = [e.event_id for e in events if e.voids is None and e.event_id in voided]
    if ids:
        rebuild |= set(
            uow.session.scalars(
                select(LearningEventRecord.person_id).where(
                    LearningEventRecord.tenant_id == tenant_id,
                    LearningEventRecord.voids.is_not(None),
                    among(uow, LearningEventRecord.voids, ids),
                )
            )
        )
    finished: dict[int, set[int]] = defaultdict(set)
    for person, found in rebuild_learners(uow, tenant_id, sorted(rebuild)).items():
        finished[person] |= found
    simple = [e for e in events if e.learner_id not in rebuild]
    if simple:
        for person, found in _add_to_tallies(uow, tenant_id, simple, rows, index).items():
            finished[person] |= found
    return {person: found for person, found in finished.items() if found}


def rebuild_learners(uow: UnitOfWork, tenant_id: int, person_ids: Sequence[int]) -> dict[int, set[int]]:
    """Rebuild these learners' tallies from all their events; return the opportunities newly finished."""
    if not person_ids:
        return {}
    index = every_matcher(uow, tenant_id)
    newly: dict[int, set[int]] = {}
    for start in range(0, len(person_ids), REBUILD_CHUNK):
        chunk = list(person_ids[start : start + REBUILD_CHUNK])
        before: dict[int, set[int]] = defaultdict(set)
        for person, opportunity in uow.session.execute(
            select(ItemProgressRecord.person_id, ItemProgressRecord.opportunity_id).where(
                ItemProgressRecord.person_id.in_(chunk), ItemProgressRecord.finished_at.is_not(None)
            )
        ):
            before[person].add(opportunity)
        uow.session.execute(delete(ItemProgressRecord).where(ItemProgressRecord.person_id.in_(chunk)))
        uow.session.execute(delete(LearnerActivityRecord).where(LearnerActivityRecord.person_id.in_(chunk)))
        history = events_by_person(uow, tenant_id, chunk)
        progress_rows: list[dict[str, Any]] = []
        activity_rows: list[dict[str, Any]] = []
        for person in chunk:
            events = history.get(person, [])
            standing = effective_events(events)
            progress = progress_by_opportunity(standing, index)
            progress_rows += [progress_row(tenant_id, person, item) for item in progress.values()]
            days_from, bits = encode_days(e.occurred_at.date() for e in standing)
            activity_rows.append(
                {
                    "person_id": person,
                    "tenant_id": tenant_id,
                    "latest_event_at": max((e.occurred_at for e in events), default=BUILT_FOR_EVER),
                    "last_activity_at": standing[-1].occurred_at if standing else None,
                    "days_from": days_from,
                    "active_days": bits,
                }
            )
            newly[person] = {o for o, item in progress.items() if item.finished} - before[person]
        if progress_rows:
            uow.session.execute(insert(ItemProgressRecord), progress_rows)
        uow.session.execute(insert(LearnerActivityRecord), activity_rows)
    return newly


def rematch(uow: UnitOfWork, tenant_id: int, activity_ids: Iterable[str], link_ids: Iterable[str]) -> int:
    """Rebuild the tallies of every learner with events naming these activities (as the activity or in its
    context) or LTI links — after they were mapped to an opportunity or unmapped; return how many.

    Activities are looked for in every event of the tenant (no index finds one inside the context lists),
    so this belongs with changes to the catalogue, which are rare, never with learning events; links are
    found by index (a link placed by deep linking is mapped on its first launch).
    """
    activities = sorted(set(activity_ids))
    links = sorted(set(link_ids))
    if not activities and not links:
        return 0
    e = LearningEventRecord
    named: ColumnElement[bool] = e.lti_resource_link_id.in_(links)
    if activities:
        if uow.session.get_bind().dialect.name == "postgresql":
            in_context = text("learning_events.context_activity_ids::jsonb ?| CAST(:named AS text[])").bindparams(
                named=activities
            )
        else:
            in_context = text(
                "EXISTS (SELECT 1 FROM json_each(learning_events.context_activity_ids) AS parent "
                "WHERE parent.value IN (SELECT value FROM json_each(:named)))"
            ).bindparams(named=json.dumps(activities))
        named = named | e.activity_id.in_(activities) | in_context
    people = sorted(set(uow.session.scalars(select(e.person_id).distinct().where(e.tenant_id == tenant_id, named))))
    rebuild_learners(uow, tenant_id, people)
    return len(people)


@cache
def _touched_progress(dialect: str) -> Any:
    """The tallied progress rows of the learners `people` on the opportunities `opportunities`."""
    i = ItemProgressRecord
    return select(i.person_id, *_ITEM_COLUMNS).where(
        among_param(dialect, i.person_id, "people"), among_param(dialect, i.opportunity_id, "opportunities")
    )


_ITEM_COLUMNS = (
    ItemProgressRecord.opportunity_id,
    ItemProgressRecord.first_activity_at,
    ItemProgressRecord.last_activity_at,
    ItemProgressRecord.finished_at,
    ItemProgressRecord.done_fraction,
    ItemProgressRecord.events,
    ItemProgressRecord.completed_parts,
)
"""A progress row's columns in the order of `ItemProgress`'s fields."""


@cache
def _progress_insert() -> Any:
    """Insert progress rows (Core: lighter than the ORM's bulk insert)."""
    table: Any = ItemProgressRecord.__table__
    return insert(table)


@cache
def _progress_update() -> Any:
    """Update a progress row, found by `key_person_id` and `key_opportunity_id` (Core: lighter than the ORM's
    bulk update)."""
    t: Any = ItemProgressRecord.__table__
    return update(t).where(
        t.c.person_id == bindparam("key_person_id"), t.c.opportunity_id == bindparam("key_opportunity_id")
    )


@cache
def _activity_update() -> Any:
    """Update a learner's activity tally, found by `key_person_id`."""
    t: Any = LearnerActivityRecord.__table__
    return update(t).where(t.c.person_id == bindparam("key_person_id"))


def _add_to_tallies(
    uow: UnitOfWork, tenant_id: int, events: Sequence[LearningEvent], rows: Mapping[int, Any], index: MatcherIndex
) -> dict[int, set[int]]:
    """Add events (none voiding or voided) to tallies that hold every earlier event of their learners."""
    matched = [(event, index.matches(event)) for event in events]
    touched = {(e.learner_id, o) for e, found in matched for o in found}
    current: dict[tuple[int, int], ItemProgress] = {}
    if touched:
        people, opportunities = sorted({p for p, _ in touched}), sorted({o for _, o in touched})
        found_rows = uow.session.execute(
            _touched_progress(dialect_of(uow)), {"people": people, "opportunities": opportunities}
        )
        for person, *item in found_rows:
            if (person, item[0]) in touched:
                current[(person, item[0])] = ItemProgress(*item)
    stored = set(current)
    newly: dict[int, set[int]] = defaultdict(set)
    for event, found in matched:
        for opportunity, kind in found.items():
            key = (event.learner_id, opportunity)
            before = current.get(key)
            after = advance(before, opportunity, event, kind)
            if after.finished and (before is None or not before.finished):
                newly[event.learner_id].add(opportunity)
            current[key] = after
    # Rows are written in bulk: one statement for the new rows, one for the updates by primary key.
    rows_now = [progress_row(tenant_id, p, item) for (p, _), item in current.items()]
    inserts = [row for row in rows_now if (row["person_id"], row["opportunity_id"]) not in stored]
    updates = [
        {"key_person_id": row.pop("person_id"), "key_opportunity_id": row.pop("opportunity_id"), **row}
        for row in rows_now
        if (row["person_id"], row["opportunity_id"]) in stored
    ]
    if inserts:
        uow.session.execute(_progress_insert(), inserts)
    if updates:
        uow.session.execute(_progress_update(), updates)
    by_person: dict[int, list[LearningEvent]] = defaultdict(list)
    for event in events:
        by_person[event.learner_id].append(event)
    changes = []
    for person, mine in by_person.items():
        row = rows[person]
        days_from, bits = with_days(row.days_from, row.active_days, {e.occurred_at.date() for e in mine})
        latest = max(e.occurred_at for e in mine)
        changes.append(
            {
                "key_person_id": person,
                "latest_event_at": max(row.latest_event_at, latest),
                "last_activity_at": latest if row.last_activity_at is None else max(row.last_activity_at, latest),
                "days_from": days_from,
                "active_days": bits,
            }
        )
    uow.session.execute(_activity_update(), changes)
    return newly


@dataclass(frozen=True)
class _Tally:
    latest_event_at: datetime
    last_activity_at: datetime | None
    days_from: date | None
    active_days: bytes


_EMPTY_TALLY = _Tally(BUILT_FOR_EVER, None, None, b"")


def _locked_tallies(uow: UnitOfWork, tenant_id: int, people: list[int], people_checked: bool) -> dict[int, Any]:
    """The learners' activity tallies, made if missing (to be built) and locked to the end of the transaction,
    so that two transactions adding to one learner's tallies take turns. Learners without a tally in the
    tenant must be people of the tenant (checked, unless `people_checked`)."""
    a = LearnerActivityRecord
    locked = _locked_tallies_query(dialect_of(uow))
    found = {row.person_id: row for row in uow.session.execute(locked, {"tenant_id": tenant_id, "people": people})}
    missing = [p for p in people if p not in found]
    if missing:
        if not people_checked:
            _check_people(uow, tenant_id, set(missing))
        empty = {"tenant_id": tenant_id, "latest_event_at": None, "last_activity_at": None, "days_from": None}
        values = [{"person_id": p, **empty, "active_days": b""} for p in missing]
        make = postgresql.insert if uow.session.get_bind().dialect.name == "postgresql" else sqlite.insert
        uow.session.execute(make(a).on_conflict_do_nothing(index_elements=["person_id"]), values)
        found |= {
            row.person_id: row for row in uow.session.execute(locked, {"tenant_id": tenant_id, "people": missing})
        }
    return found


@cache
def _locked_tallies_query(dialect: str) -> Any:
    """The activity tallies of the tenant's learners `people`, locked."""
    a = LearnerActivityRecord
    return (
        select(a.person_id, a.latest_event_at, a.last_activity_at, a.days_from, a.active_days)
        .where(a.tenant_id == bindparam("tenant_id"), among_param(dialect, a.person_id, "people"))
        .with_for_update()
    )


def _check_people(uow: UnitOfWork, tenant_id: int, person_ids: set[int]) -> None:
    found = set(
        uow.session.scalars(
            select(PersonRecord.id).where(PersonRecord.tenant_id == tenant_id, among(uow, PersonRecord.id, person_ids))
        )
    )
    missing = sorted(person_ids - found)
    if missing:
        raise InvalidInput(f"unknown person id(s) in this tenant: {', '.join(map(str, missing))}")
