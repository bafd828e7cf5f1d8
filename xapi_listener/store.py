"""The statement store: every accepted statement kept losslessly, with the indexes the query API needs.

Statements are stored exactly as sent plus the properties the LRS sets (id, stored, authority, version;
xAPI 1.0.3 Part Two §2.4). The sequence number orders them for `since`/`until` and `more` paging.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    select,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from alignment.database import Base, UnitOfWork
from alignment.errors import Conflict, InvalidInput
from xapi_listener.statements import related_activities, related_agents

VOIDED = "http://adlnet.gov/expapi/verbs/voided"
# Properties the LRS sets; two statements that differ only in these are the same statement
# (xAPI 1.0.3 Part Two §2.2 statement comparison).
LRS_SET = ("id", "stored", "authority", "version")

ACTIVITY_HISTORY = 100
"""How many of the newest statements about an activity make up its definition."""

SequenceId = BigInteger().with_variant(Integer(), "sqlite")


class StatementRecord(Base):
    """A statement as stored."""

    __tablename__ = "xapi_statements"
    __table_args__ = (
        UniqueConstraint("tenant_id", "statement_id"),
        Index("ix_xapi_statements_tenant_seq", "tenant_id", "seq"),
        Index("ix_xapi_statements_handoff", "tenant_id", "handed_off"),
    )

    seq: Mapped[int] = mapped_column(SequenceId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    statement_id: Mapped[str] = mapped_column(String(36))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    stored: Mapped[datetime]
    verb_id: Mapped[str] = mapped_column(String(1000))
    registration: Mapped[str | None] = mapped_column(String(36))
    voiding_target: Mapped[str | None] = mapped_column(String(36))
    statement_ref: Mapped[str | None] = mapped_column(String(36), index=True)
    """The id a StatementRef object points at, so filters can also return statements about matches."""
    voided: Mapped[bool] = mapped_column(Boolean, default=False)
    credential_id: Mapped[int | None] = mapped_column(ForeignKey("xapi_credentials.id", ondelete="SET NULL"))
    handed_off: Mapped[bool] = mapped_column(Boolean, default=False)
    upstream_stored: Mapped[datetime | None]
    """The `stored` the upstream LRS gave a pulled or forwarded statement; the document's own `stored` is ours."""


class StatementAgentRecord(Base):
    """An agent a statement names, and how (actor, object, or related), for the `agent` filter."""

    __tablename__ = "xapi_statement_agents"
    __table_args__ = (Index("ix_xapi_statement_agents_key", "tenant_id", "agent_key", "statement_seq"),)

    statement_seq: Mapped[int] = mapped_column(
        SequenceId, ForeignKey("xapi_statements.seq", ondelete="CASCADE"), primary_key=True
    )
    agent_key: Mapped[str] = mapped_column(String(700), primary_key=True)
    relation: Mapped[str] = mapped_column(String(10), primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Integer)


class StatementActivityRecord(Base):
    """An activity a statement names, and whether it is the object, for the `activity` filter."""

    __tablename__ = "xapi_statement_activities"
    __table_args__ = (Index("ix_xapi_statement_activities_id", "tenant_id", "activity_id", "statement_seq"),)

    statement_seq: Mapped[int] = mapped_column(
        SequenceId, ForeignKey("xapi_statements.seq", ondelete="CASCADE"), primary_key=True
    )
    activity_id: Mapped[str] = mapped_column(String(1000), primary_key=True)
    is_object: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(Integer)


@dataclass(frozen=True)
class Accepted:
    """What storing a batch did: the ids in the order sent, and how many were new."""

    ids: tuple[str, ...]
    new: int


def store_statements(
    uow: UnitOfWork,
    tenant_id: int,
    statements: Sequence[Mapping[str, Any]],
    *,
    stored: datetime,
    authority: Mapping[str, Any],
    version: str,
    credential_id: int | None,
    reject_repeated_ids: bool = False,
    keep_upstream_stored: bool = False,
) -> Accepted:
    """Store validated statements, all or none: a known id with the same content is accepted again
    (idempotent), with other content it is a Conflict (409); voiding statements void their targets.

    With `keep_upstream_stored` (statements from another LRS), the `stored` each arrived with is kept
    beside it as `upstream_stored`: the document's `stored` is always this LRS's own (xAPI 1.0.3 Part
    Two §2.4.8), because `since`, `until` and `more` must order statements by when they arrived here.
    """
    prepared: list[dict[str, Any]] = []
    by_id: dict[str, dict[str, Any]] = {}
    timed_by_lrs: set[str] = set()
    upstream: dict[str, datetime | None] = {}
    stamp = _iso(stored)
    for index, raw in enumerate(statements):
        statement = normalised(raw)
        statement_id = str(statement.get("id") or uuid.uuid4()).lower()
        statement["id"] = statement_id
        statement.setdefault("authority", dict(authority))
        if keep_upstream_stored and isinstance(statement.get("stored"), str):
            upstream[statement_id] = _parse_stored(statement["stored"])
        statement["stored"] = stamp
        # xAPI 1.0.3 Part Two §2.4.7: a statement without a timestamp happened when it was stored.
        if "timestamp" not in statement:
            statement["timestamp"] = stamp
            timed_by_lrs.add(statement_id)
        statement.setdefault("version", version)
        earlier = by_id.get(statement_id)
        if earlier is not None:
            if reject_repeated_ids or not same_statement(earlier, statement):
                raise InvalidInput(f"[{index}].id: {statement_id} is used more than once in the batch")
            continue
        by_id[statement_id] = statement
        prepared.append(statement)

    existing = {
        record.statement_id: record
        for record in uow.session.scalars(
            select(StatementRecord).where(
                StatementRecord.tenant_id == tenant_id, StatementRecord.statement_id.in_(list(by_id))
            )
        )
    }
    fresh = []
    for statement in prepared:
        known = existing.get(statement["id"])
        if known is None:
            fresh.append(statement)
        elif not same_statement(known.document, statement, ignore_timestamp=statement["id"] in timed_by_lrs):
            raise Conflict(f"statement {statement['id']} already exists with different content")

    targets = [s["object"]["id"].lower() for s in fresh if _voiding_target(s) is not None]
    _refuse_voiding_voids(uow, tenant_id, targets)
    records = [
        StatementRecord(
            tenant_id=tenant_id,
            statement_id=s["id"],
            document=s,
            stored=stored,
            verb_id=s["verb"]["id"],
            registration=_registration(s),
            voiding_target=_voiding_target(s),
            statement_ref=str(s["object"]["id"]).lower() if s["object"].get("objectType") == "StatementRef" else None,
            voided=False,
            credential_id=credential_id,
            handed_off=False,
            upstream_stored=upstream.get(s["id"]),
        )
        for s in fresh
    ]
    uow.session.add_all(records)
    uow.session.flush()
    uow.session.add_all(
        StatementAgentRecord(statement_seq=r.seq, agent_key=key, relation=relation, tenant_id=tenant_id)
        for r in records
        for key, relation in related_agents(r.document)
    )
    uow.session.add_all(
        StatementActivityRecord(statement_seq=r.seq, activity_id=activity, is_object=is_object, tenant_id=tenant_id)
        for r in records
        for activity, is_object in related_activities(r.document)
    )
    if targets:
        uow.session.execute(
            update(StatementRecord)
            .where(
                StatementRecord.tenant_id == tenant_id,
                StatementRecord.statement_id.in_(targets),
                StatementRecord.voiding_target.is_(None),
            )
            .values(voided=True)
        )
    uow.session.flush()
    return Accepted(tuple(s["id"] for s in prepared), len(fresh))


def normalised(statement: Mapping[str, Any]) -> dict[str, Any]:
    """The statement with each context activity list in array form (xAPI 1.0.3 Part Two §2.4.6.2)."""
    result = dict(statement)
    for holder in (result, result.get("object")):
        if isinstance(holder, dict) and isinstance(holder.get("context"), dict):
            context = dict(holder["context"])
            activities = context.get("contextActivities")
            if isinstance(activities, dict):
                context["contextActivities"] = {
                    key: value if isinstance(value, list) else [value] for key, value in activities.items()
                }
            if holder is result:
                result["context"] = context
            else:
                result["object"] = {**holder, "context": context}
    return result


def same_statement(a: Mapping[str, Any], b: Mapping[str, Any], ignore_timestamp: bool = False) -> bool:
    """True when two statements differ at most in the properties the LRS sets (and the timestamp, if asked)."""
    ignored = {*LRS_SET, "timestamp"} if ignore_timestamp else set(LRS_SET)
    return {k: v for k, v in a.items() if k not in ignored} == {k: v for k, v in b.items() if k not in ignored}


def _voiding_target(statement: Mapping[str, Any]) -> str | None:
    if statement["verb"]["id"] != VOIDED:
        return None
    return str(statement["object"]["id"]).lower()


def _refuse_voiding_voids(uow: UnitOfWork, tenant_id: int, targets: Iterable[str]) -> None:
    # xAPI 1.0.3 Part Two §2.5: a voiding statement cannot itself be voided.
    voiding = uow.session.scalar(
        select(StatementRecord.statement_id).where(
            StatementRecord.tenant_id == tenant_id,
            StatementRecord.statement_id.in_(list(targets)),
            StatementRecord.voiding_target.is_not(None),
        )
    )
    if voiding is not None:
        raise InvalidInput(f"object.id: statement {voiding} is a voiding statement and cannot be voided")


def _registration(statement: Mapping[str, Any]) -> str | None:
    registration = (statement.get("context") or {}).get("registration")
    return str(registration).lower() if registration else None


@dataclass(frozen=True)
class StatementQuery:
    """The filters of GET /statements (xAPI 1.0.3 Part Three §2.1.3), already parsed and checked."""

    agent_key: str | None = None
    verb: str | None = None
    activity: str | None = None
    registration: str | None = None
    related_activities: bool = False
    related_agents: bool = False
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 100
    ascending: bool = False
    after_seq: int | None = None
    """Continue after this sequence number (the `more` cursor)."""


@dataclass(frozen=True)
class StatementPage:
    """One page of results, and the sequence number to continue from if there are more."""

    statements: tuple[dict[str, Any], ...]
    next_seq: int | None


def find_statement(uow: UnitOfWork, tenant_id: int, statement_id: str, voided: bool) -> dict[str, Any] | None:
    """The statement with this id: a live one, or with `voided` a voided one (§2.1.3 voidedStatementId)."""
    document = uow.session.scalar(
        select(StatementRecord.document).where(
            StatementRecord.tenant_id == tenant_id,
            StatementRecord.statement_id == statement_id.lower(),
            StatementRecord.voided.is_(voided),
        )
    )
    return dict(document) if document is not None else None


def query_statements(uow: UnitOfWork, tenant_id: int, query: StatementQuery) -> StatementPage:
    """The live statements matching the query, in stored order (newest first unless ascending).

    The filters also return statements whose StatementRef points at a matching statement, voided or not
    (xAPI 1.0.3 Part Three §2.1.3: "Filter Conditions for StatementRefs").
    """
    statement = select(StatementRecord.seq, StatementRecord.document).where(
        StatementRecord.tenant_id == tenant_id, StatementRecord.voided.is_(False)
    )
    filtered = query.verb or query.registration or query.agent_key or query.activity
    if filtered:
        matching = select(StatementRecord.seq).where(StatementRecord.tenant_id == tenant_id)
        if query.verb is not None:
            matching = matching.where(StatementRecord.verb_id == query.verb)
        if query.registration is not None:
            matching = matching.where(StatementRecord.registration == query.registration.lower())
        if query.agent_key is not None:
            relations = ["actor", "object", "related"] if query.related_agents else ["actor", "object"]
            matching = matching.where(
                StatementRecord.seq.in_(
                    select(StatementAgentRecord.statement_seq).where(
                        StatementAgentRecord.tenant_id == tenant_id,
                        StatementAgentRecord.agent_key == query.agent_key,
                        StatementAgentRecord.relation.in_(relations),
                    )
                )
            )
        if query.activity is not None:
            activities = select(StatementActivityRecord.statement_seq).where(
                StatementActivityRecord.tenant_id == tenant_id, StatementActivityRecord.activity_id == query.activity
            )
            if not query.related_activities:
                activities = activities.where(StatementActivityRecord.is_object.is_(True))
            matching = matching.where(StatementRecord.seq.in_(activities))
        matched_ids = select(StatementRecord.statement_id).where(StatementRecord.seq.in_(matching))
        statement = statement.where(StatementRecord.seq.in_(matching) | StatementRecord.statement_ref.in_(matched_ids))
    if query.since is not None:
        statement = statement.where(StatementRecord.stored > query.since)
    if query.until is not None:
        statement = statement.where(StatementRecord.stored <= query.until)
    if query.after_seq is not None:
        statement = statement.where(
            StatementRecord.seq > query.after_seq if query.ascending else StatementRecord.seq < query.after_seq
        )
    order = StatementRecord.seq.asc() if query.ascending else StatementRecord.seq.desc()
    rows = uow.session.execute(statement.order_by(order).limit(query.limit + 1)).all()
    page = rows[: query.limit]
    next_seq = page[-1][0] if len(rows) > query.limit else None
    return StatementPage(tuple(dict(document) for _, document in page), next_seq)


def latest_activity_definition(uow: UnitOfWork, tenant_id: int, activity_id: str) -> dict[str, Any] | None:
    """The activity as statements describe it, later statements winning and language maps merged (§2.5)."""
    documents = uow.session.scalars(
        select(StatementRecord.document)
        .join(StatementActivityRecord, StatementActivityRecord.statement_seq == StatementRecord.seq)
        .where(
            StatementActivityRecord.tenant_id == tenant_id,
            StatementActivityRecord.activity_id == activity_id,
            StatementActivityRecord.is_object.is_(True),
        )
        .order_by(StatementRecord.seq.desc())
        .limit(ACTIVITY_HISTORY)
    )
    definition: dict[str, Any] = {}
    found = False
    for document in reversed(list(documents)):
        found = True
        for key, value in (document["object"].get("definition") or {}).items():
            if key in ("name", "description") and isinstance(value, dict):
                definition[key] = {**definition.get(key, {}), **value}
            else:
                definition[key] = value
    if not found:
        return None
    activity: dict[str, Any] = {"objectType": "Activity", "id": activity_id}
    if definition:
        activity["definition"] = definition
    return activity


def _parse_stored(value: str) -> datetime | None:
    # Validated as an xAPI timestamp, which always has a zone; the rare ISO 8601 form Python cannot read is dropped.
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")
