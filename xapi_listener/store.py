"""The statement store: every accepted statement kept losslessly, with the indexes the query API needs.

Statements are stored exactly as sent plus the properties the LRS sets (id, stored, authority, version;
xAPI 1.0.3 Part Two §2.4). The sequence number orders them for `since`/`until` and `more` paging.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import orjson
import psycopg
import uuid_utils
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    UniqueConstraint,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Engine
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
        # Almost no statement has a StatementRef object; those without are left out of the index.
        Index(
            "ix_xapi_statements_statement_ref",
            "statement_ref",
            postgresql_where=text("statement_ref IS NOT NULL"),
            sqlite_where=text("statement_ref IS NOT NULL"),
        ),
    )

    seq: Mapped[int] = mapped_column(SequenceId, primary_key=True, autoincrement=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id", ondelete="CASCADE"))
    statement_id: Mapped[str] = mapped_column(String(36))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    stored: Mapped[datetime]
    verb_id: Mapped[str] = mapped_column(String(1000))
    registration: Mapped[str | None] = mapped_column(String(36))
    voiding_target: Mapped[str | None] = mapped_column(String(36))
    statement_ref: Mapped[str | None] = mapped_column(String(36))
    """The id a StatementRef object points at, so filters can also return statements about matches."""
    voided: Mapped[bool] = mapped_column(Boolean, default=False)
    credential_id: Mapped[int | None] = mapped_column(ForeignKey("xapi_credentials.id", ondelete="SET NULL"))
    handed_off: Mapped[bool] = mapped_column(Boolean, default=False)
    upstream_stored: Mapped[datetime | None]
    """The `stored` the upstream LRS gave a pulled or forwarded statement; the document's own `stored` is ours."""


class StatementAgentRecord(Base):
    """An agent a statement names, and how (actor, object, or related), for the `agent` filter.

    Keyed for that filter's search. No foreign key to the statement: the row is written by the same SQL
    statement as its statement and deleted with its tenant (migration 0015_statement_index_keys).
    """

    __tablename__ = "xapi_statement_agents"
    __table_args__ = (PrimaryKeyConstraint("tenant_id", "agent_key", "statement_seq", "relation"),)

    tenant_id: Mapped[int] = mapped_column(Integer)
    agent_key: Mapped[str] = mapped_column(String(700))
    statement_seq: Mapped[int] = mapped_column(SequenceId)
    relation: Mapped[str] = mapped_column(String(10))


class StatementActivityRecord(Base):
    """An activity a statement names, and whether it is the object, for the `activity` filter.

    Keyed and kept like StatementAgentRecord.
    """

    __tablename__ = "xapi_statement_activities"
    __table_args__ = (PrimaryKeyConstraint("tenant_id", "activity_id", "statement_seq", "is_object"),)

    tenant_id: Mapped[int] = mapped_column(Integer)
    activity_id: Mapped[str] = mapped_column(String(1000))
    statement_seq: Mapped[int] = mapped_column(SequenceId)
    is_object: Mapped[bool] = mapped_column(Boolean)


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
    batch = prepare_statements(
        statements,
        stored=stored,
        authority=authority,
        version=version,
        reject_repeated_ids=reject_repeated_ids,
        keep_upstream_stored=keep_upstream_stored,
    )
    return store_prepared(uow, tenant_id, batch, credential_id)


@dataclass(frozen=True)
class PreparedBatch:
    """Validated statements made ready to store: ids given, LRS-set properties filled in, repeats removed."""

    statements: tuple[dict[str, Any], ...]
    stored: datetime
    timed_by_lrs: frozenset[str]
    """Ids of the statements whose timestamp the LRS set (it is then ignored when comparing with a known one)."""
    upstream: Mapping[str, datetime | None]
    """The upstream `stored` of each statement from another LRS, by id."""

    @property
    def voids(self) -> bool:
        """Whether any statement of the batch voids another."""
        return any(_voiding_target(s) is not None for s in self.statements)


def prepare_statements(
    statements: Sequence[Mapping[str, Any]],
    *,
    stored: datetime,
    authority: Mapping[str, Any],
    version: str,
    reject_repeated_ids: bool = False,
    keep_upstream_stored: bool = False,
) -> PreparedBatch:
    """Give each statement its id and the properties the LRS sets; refuse an id used twice with other content.

    Preparing once and storing the result keeps a retry of the same batch idempotent: the ids the LRS
    chose for statements sent without one stay the same.
    """
    by_id: dict[str, dict[str, Any]] = {}
    timed_by_lrs: set[str] = set()
    upstream: dict[str, datetime | None] = {}
    stamp = _iso(stored)
    for index, raw in enumerate(statements):
        statement = normalised(raw)
        statement_id = str(statement.get("id") or new_statement_id()).lower()
        statement["id"] = statement_id
        if "authority" not in statement:
            statement["authority"] = dict(authority)
        if keep_upstream_stored and isinstance(statement.get("stored"), str):
            upstream[statement_id] = _parse_stored(statement["stored"])
        statement["stored"] = stamp
        # xAPI 1.0.3 Part Two §2.4.7: a statement without a timestamp happened when it was stored.
        if "timestamp" not in statement:
            statement["timestamp"] = stamp
            timed_by_lrs.add(statement_id)
        if "version" not in statement:
            statement["version"] = version
        earlier = by_id.get(statement_id)
        if earlier is not None:
            if reject_repeated_ids or not same_statement(earlier, statement):
                raise InvalidInput(f"[{index}].id: {statement_id} is used more than once in the batch")
            continue
        by_id[statement_id] = statement
    return PreparedBatch(tuple(by_id.values()), stored, frozenset(timed_by_lrs), upstream)


def new_statement_id() -> str:
    """A new statement id: a version 7 UUID (RFC 9562 §5.7), whose first 48 bits are the time in milliseconds.

    xAPI lets the LRS choose any UUID for a statement sent without one (1.0.3 Part Two §2.4.1). Ids that
    follow time land at the right edge of the `(tenant_id, statement_id)` index, as a sequence does, instead
    of on a random one of its pages: a random id dirties a page of its own, which the store reads in from
    disk and writes to the WAL in full after each checkpoint once the index outgrows the buffer cache (see
    docs/ingest-performance.md). The rest of the id is random, so ids stay unguessable and unique.
    """
    return str(uuid_utils.uuid7())


def store_prepared(uow: UnitOfWork, tenant_id: int, batch: PreparedBatch, credential_id: int | None) -> Accepted:
    """Store a prepared batch in the unit of work, all or none (see `store_statements`)."""
    prepared = batch.statements
    by_id = {s["id"]: s for s in prepared}
    targets = [target for s in prepared if (target := _voiding_target(s)) is not None]
    if targets:
        _refuse_voiding_voids(uow, tenant_id, targets)
    rows = [_Row.of(s) for s in prepared]
    if uow.session.get_bind().dialect.name == "postgresql":
        inserted = _insert_postgresql(uow, tenant_id, rows, batch.stored, credential_id)
    else:
        inserted = _insert_portable(uow, tenant_id, rows, batch.stored, credential_id)
    # A statement id already stored: the same statement again is accepted, other content is refused
    # (xAPI 1.0.3 Part Three §2.1.2: 409 Conflict; §2.2 says how statements compare).
    known_ids = [s["id"] for s in prepared if s["id"] not in inserted]
    if known_ids:
        known: dict[str, Any] = dict(
            uow.session.execute(
                select(StatementRecord.statement_id, StatementRecord.document).where(
                    StatementRecord.tenant_id == tenant_id, StatementRecord.statement_id.in_(known_ids)
                )
            ).all()
        )
        for statement_id in known_ids:
            if not same_statement(known[statement_id], by_id[statement_id], statement_id in batch.timed_by_lrs):
                raise Conflict(f"statement {statement_id} already exists with different content")
    for statement_id, upstream_stored in batch.upstream.items():
        if statement_id in inserted and upstream_stored is not None:
            uow.session.execute(
                update(StatementRecord)
                .where(StatementRecord.tenant_id == tenant_id, StatementRecord.statement_id == statement_id)
                .values(upstream_stored=upstream_stored)
            )
    voided = [row.voiding_target for row in rows if row.voiding_target is not None and row.statement_id in inserted]
    if voided:
        uow.session.execute(
            update(StatementRecord)
            .where(
                StatementRecord.tenant_id == tenant_id,
                StatementRecord.statement_id.in_(voided),
                StatementRecord.voiding_target.is_(None),
            )
            .values(voided=True)
        )
    return Accepted(tuple(s["id"] for s in prepared), len(inserted))


def insert_at_once(engine: Engine, tenant_id: int, batch: PreparedBatch, credential_id: int) -> Accepted | None:
    """Store a batch of new statements in one autocommitted INSERT on PostgreSQL, or return None to say it did not.

    The common case, a batch whose ids are all new from a live credential, costs one round trip: no BEGIN,
    no separate COMMIT, no credential query, no pool pre-ping. The INSERT is one SQL statement, so it is
    atomic and durable when it returns (it commits as it ends, with the server's synchronous commit). It
    stores nothing, and None sends the caller to `store_prepared` in a transaction, when:

    - an id is already stored (the unique constraint refuses the whole statement; that path compares
      contents and answers 409 or accepts the repeat);
    - the credential was revoked (or deleted) since it was cached: the INSERT checks it in the same
      snapshot it writes in, so a revocation stops writes at once;
    - the batch voids statements (checked and applied in a transaction), or keeps the `stored` of another
      LRS beside its statements (forwarded statements).

    A connection found broken is replaced and the INSERT sent once more: the ids were fixed by
    `prepare_statements`, so if the first attempt had been committed, the second finds its ids stored
    and goes to the comparing path, which accepts the same content again.
    """
    if batch.voids or batch.upstream:
        return None
    rows = [_Row.of(s) for s in batch.statements]
    parameters = _insert_parameters(tenant_id, rows, batch.stored, credential_id)
    for attempt in (1, 2):
        # The driver's connection from the pool, without SQLAlchemy's Connection around it: for one SQL
        # statement that wrapper cost about as much as the driver's own work.
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(_INSERT_AT_ONCE, parameters)
            answer = cursor.fetchone()
            cursor.close()
        except psycopg.IntegrityError:
            return None
        except psycopg.Error:
            driver = cast(psycopg.Connection[Any], connection.dbapi_connection)
            if attempt == 1 and (driver.broken or driver.closed):
                connection.invalidate()
                continue
            raise
        finally:
            connection.close()
        inserted = answer[0] if answer else 0
        if inserted != len(rows):
            return None  # the credential is no longer live: the INSERT wrote nothing
        return Accepted(tuple(row.statement_id for row in rows), inserted)
    return None  # pragma: no cover - the loop returns or raises


@dataclass(frozen=True)
class _Row:
    """What one statement writes: its row and the agent and activity rows the query filters use."""

    statement_id: str
    document: dict[str, Any]
    verb_id: str
    registration: str | None
    voiding_target: str | None
    statement_ref: str | None
    agents: set[tuple[str, str]]
    activities: set[tuple[str, bool]]

    @classmethod
    def of(cls, statement: dict[str, Any]) -> _Row:
        """The rows of a prepared statement."""
        target = statement["object"]
        return cls(
            statement_id=statement["id"],
            document=statement,
            verb_id=statement["verb"]["id"],
            registration=_registration(statement),
            voiding_target=_voiding_target(statement),
            statement_ref=str(target["id"]).lower() if target.get("objectType") == "StatementRef" else None,
            agents=related_agents(statement),
            activities=related_activities(statement),
        )


# One round trip on PostgreSQL, in the order sent so that `seq` follows it. The documents go as one text
# array bound in binary (no quoting or escaping on either side); the other columns and the index rows as
# JSON texts read by json_to_recordset: a few text parameters cost the driver far less to send than an
# array per column. The index rows join the statements actually inserted, so they follow them in and out.
_INSERT_STATEMENTS = """
        INSERT INTO xapi_statements (tenant_id, statement_id, document, stored, verb_id, registration,
                                     voiding_target, statement_ref, voided, credential_id, handed_off)
        SELECT %(tenant_id)s, s.i, CAST(s.d AS json), %(stored)s, s.v, s.r, s.t, s.s, false,
               CAST(%(credential_id)s AS integer), false
        FROM ROWS FROM (json_to_recordset(CAST(%(statements)s AS json)) AS (i text, v text, r text, t text, s text),
                        unnest(CAST(%(documents)b AS text[]))) WITH ORDINALITY AS s(i, v, r, t, s, d, n)
"""
_INSERT_INDEX_ROWS = """
    agents AS (
        INSERT INTO xapi_statement_agents (statement_seq, agent_key, relation, tenant_id)
        SELECT new.seq, a.k, a.r, %(tenant_id)s
        FROM json_to_recordset(CAST(%(agents)s AS json)) AS a(i text, k text, r text)
        JOIN new ON new.statement_id = a.i
    ), activities AS (
        INSERT INTO xapi_statement_activities (statement_seq, activity_id, is_object, tenant_id)
        SELECT new.seq, a.a, a.o, %(tenant_id)s
        FROM json_to_recordset(CAST(%(activities)s AS json)) AS a(i text, a text, o boolean)
        JOIN new ON new.statement_id = a.i
    )
"""
# In a transaction: an id already stored is skipped by ON CONFLICT, and the caller compares its content.
_INSERT_POSTGRESQL = f"""
    WITH new AS ({_INSERT_STATEMENTS}
        ORDER BY s.n
        ON CONFLICT (tenant_id, statement_id) DO NOTHING
        RETURNING seq, statement_id
    ), {_INSERT_INDEX_ROWS}
    SELECT statement_id FROM new
"""  # noqa: S608 (constant SQL fragments joined, no input)
# Autocommitted, all or nothing (see `insert_at_once`): an id already stored violates the unique constraint
# and undoes the whole statement; a credential revoked in the meantime lets no row in.
_INSERT_AT_ONCE = f"""
    WITH new AS ({_INSERT_STATEMENTS}
        WHERE EXISTS (SELECT FROM xapi_credentials c WHERE c.id = %(credential_id)s
                      AND c.tenant_id = %(tenant_id)s AND c.revoked_at IS NULL)
        ORDER BY s.n
        RETURNING seq, statement_id
    ), {_INSERT_INDEX_ROWS}
    SELECT count(*) FROM new
"""  # noqa: S608 (constant SQL fragments joined, no input)


def _insert_parameters(
    tenant_id: int, rows: Sequence[_Row], stored: datetime, credential_id: int | None
) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "stored": stored,
        "credential_id": credential_id,
        "documents": [_json(row.document) for row in rows],
        "statements": _json(
            [
                {
                    "i": row.statement_id,
                    "v": row.verb_id,
                    "r": row.registration,
                    "t": row.voiding_target,
                    "s": row.statement_ref,
                }
                for row in rows
            ]
        ),
        "agents": _json([{"i": row.statement_id, "k": k, "r": r} for row in rows for k, r in row.agents]),
        "activities": _json([{"i": row.statement_id, "a": a, "o": o} for row in rows for a, o in row.activities]),
    }


def _insert_postgresql(
    uow: UnitOfWork, tenant_id: int, rows: Sequence[_Row], stored: datetime, credential_id: int | None
) -> set[str]:
    """Insert the rows not stored yet in one statement; return the ids inserted."""
    result = uow.session.connection().exec_driver_sql(
        _INSERT_POSTGRESQL, _insert_parameters(tenant_id, rows, stored, credential_id)
    )
    return {row[0] for row in result}


def _insert_portable(
    uow: UnitOfWork, tenant_id: int, rows: Sequence[_Row], stored: datetime, credential_id: int | None
) -> set[str]:
    """Insert the rows not stored yet with SQLAlchemy Core (SQLite, where one writer at a time holds the lock)."""
    existing = set(
        uow.session.scalars(
            select(StatementRecord.statement_id).where(
                StatementRecord.tenant_id == tenant_id,
                StatementRecord.statement_id.in_([row.statement_id for row in rows]),
            )
        )
    )
    fresh = [row for row in rows if row.statement_id not in existing]
    if not fresh:
        return set()
    seqs = dict(
        uow.session.execute(
            insert(StatementRecord).returning(
                StatementRecord.statement_id, StatementRecord.seq, sort_by_parameter_order=True
            ),
            [
                {
                    "tenant_id": tenant_id,
                    "statement_id": row.statement_id,
                    "document": row.document,
                    "stored": stored,
                    "verb_id": row.verb_id,
                    "registration": row.registration,
                    "voiding_target": row.voiding_target,
                    "statement_ref": row.statement_ref,
                    "voided": False,
                    "credential_id": credential_id,
                    "handed_off": False,
                }
                for row in fresh
            ],
        ).all()
    )
    agents = [
        {"statement_seq": seqs[row.statement_id], "agent_key": key, "relation": relation, "tenant_id": tenant_id}
        for row in fresh
        for key, relation in row.agents
    ]
    if agents:
        uow.session.execute(insert(StatementAgentRecord), agents)
    activities = [
        {"statement_seq": seqs[row.statement_id], "activity_id": a, "is_object": is_object, "tenant_id": tenant_id}
        for row in fresh
        for a, is_object in row.activities
    ]
    if activities:
        uow.session.execute(insert(StatementActivityRecord), activities)
    return set(seqs)


def _json(value: object) -> str:
    """`value` as JSON text; orjson is many times faster than the standard library here."""
    try:
        return orjson.dumps(value).decode()
    except (TypeError, orjson.JSONEncodeError):
        # orjson refuses integers beyond 64 bits, which JSON (and so a statement's extensions) allows.
        return json.dumps(value)


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
