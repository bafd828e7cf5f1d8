"""The statement store: every accepted statement kept losslessly, with the indexes the query API needs.

Statements are stored exactly as sent plus the properties the LRS sets (id, stored, authority, version;
xAPI 1.0.3 Part Two §2.4). The sequence number orders them for `since`/`until` and `more` paging.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import orjson
import psycopg
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ColumnElement,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    insert,
    literal,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Engine
from sqlalchemy.orm import InstrumentedAttribute, Mapped, aliased, mapped_column

from alignment.database import Base, UnitOfWork, dialect_of
from alignment.errors import Conflict, InvalidInput
from xapi_listener.statements import related_activities, related_agents

VOIDED = "http://adlnet.gov/expapi/verbs/voided"
# Properties the LRS sets; two statements that differ only in these are the same statement
# (xAPI 1.0.3 Part Two §2.2 statement comparison).
LRS_SET = ("id", "stored", "authority", "version")

ACTIVITY_HISTORY = 100
"""How many of the newest statements about an activity make up its definition."""

SequenceId = BigInteger().with_variant(Integer(), "sqlite")
KeyList = JSON().with_variant(ARRAY(Text()), "postgresql")
"""A list of index keys: a text array on PostgreSQL (with a GIN index), a JSON list on SQLite (read with json_each)."""


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
        # The agent and activity filters' indexes (migration 0019_statement_key_arrays). A GIN index takes new
        # entries into its pending list and merges them key by key in bulk, where a B-tree of (key, statement)
        # rows would dirty one page per learner and per activity in every batch: on a big store those pages
        # are read back in and written whole to the WAL after each checkpoint (docs/ingest-performance.md).
        # SQLite has no such index; it reads the JSON lists of the statements the other conditions leave.
        Index("ix_xapi_statements_agent_keys", "agent_keys", postgresql_using="gin").ddl_if(dialect="postgresql"),
        Index("ix_xapi_statements_activity_keys", "activity_keys", postgresql_using="gin").ddl_if(dialect="postgresql"),
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
    agent_keys: Mapped[list[str]] = mapped_column(KeyList)
    """The agents the statement names, for the `agent` filter: `a:<agent key>` for its actor and an Agent or Group
    object (and their members), `r:<agent key>` for the others `related_agents` also matches (see `agent_keys_of`)."""
    activity_keys: Mapped[list[str]] = mapped_column(KeyList)
    """The activities the statement names, for the `activity` filter: `o:<id>` for its object, `r:<id>` for context
    and SubStatement activities, which `related_activities` also matches (see `activity_keys_of`)."""


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
    """A new statement id: a version 1 (time-based) UUID from the standard library, with a random node.

    xAPI lets the LRS choose any UUID for a statement sent without one (1.0.3 Part Two §2.4.1). A time-based
    id begins with the low bits of the time, which advance by 10,000 a millisecond (wrapping every seven
    minutes), so ids made one after another land on the same pages of the `(tenant_id, statement_id)` index,
    where a random id would dirty a page of its own, which the store reads from disk and writes to the WAL in
    full after each checkpoint once the index outgrows the buffer cache (docs/ingest-performance.md).
    Version 1 rather than the sortable version 7: tincan 1.0.0 and clients like it refuse ids whose version
    is not 1 to 5 when the LRS returns them. The node is random per process (with the multicast bit, RFC 4122
    §4.5: no MAC address in ids, and forked workers differ); the lock keeps the standard library's
    last-timestamp bookkeeping right across threads.
    """
    global _node
    with _ids_lock:
        if _node is None or _node[0] != os.getpid():
            _node = (os.getpid(), secrets.randbits(48) | 1 << 40)
        return str(uuid.uuid1(node=_node[1]))


_ids_lock = threading.Lock()
_node: tuple[int, int] | None = None
"""The process the node was drawn in, and the node."""


def agent_keys_of(statement: Mapping[str, Any]) -> list[str]:
    """The statement's entries for the `agent` filter (StatementRecord.agent_keys), sorted.

    The filter matches the actor and an Agent or Group object alike, and with `related_agents` every other agent
    too (xAPI 1.0.3 Part Three §2.1.3), so the entries tell only those two apart: `a:` and `r:`.
    """
    return sorted({("r:" if relation == "related" else "a:") + key for key, relation in related_agents(statement)})


def activity_keys_of(statement: Mapping[str, Any]) -> list[str]:
    """The statement's entries for the `activity` filter (StatementRecord.activity_keys), sorted: `o:` for the
    object Activity, `r:` for the activities `related_activities` also matches (xAPI 1.0.3 Part Three §2.1.3)."""
    return sorted({("o:" if is_object else "r:") + activity for activity, is_object in related_activities(statement)})


def store_prepared(uow: UnitOfWork, tenant_id: int, batch: PreparedBatch, credential_id: int | None) -> Accepted:
    """Store a prepared batch in the unit of work, all or none (see `store_statements`)."""
    prepared = batch.statements
    by_id = {s["id"]: s for s in prepared}
    targets = [target for s in prepared if (target := _voiding_target(s)) is not None]
    if targets:
        _refuse_voiding_voids(uow, tenant_id, targets)
    rows = [_Row.of(s) for s in prepared]
    if dialect_of(uow) == "postgresql":
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
    """What one statement writes: its row, with the agent and activity keys the query filters use."""

    statement_id: str
    document: dict[str, Any]
    verb_id: str
    registration: str | None
    voiding_target: str | None
    statement_ref: str | None
    agent_keys: list[str]
    activity_keys: list[str]

    @classmethod
    def of(cls, statement: dict[str, Any]) -> _Row:
        """The row of a prepared statement."""
        target = statement["object"]
        return cls(
            statement_id=statement["id"],
            document=statement,
            verb_id=statement["verb"]["id"],
            registration=_registration(statement),
            voiding_target=_voiding_target(statement),
            statement_ref=str(target["id"]).lower() if target.get("objectType") == "StatementRef" else None,
            agent_keys=agent_keys_of(statement),
            activity_keys=activity_keys_of(statement),
        )


# One round trip on PostgreSQL, in the order sent so that `seq` follows it. The documents go as one text
# array bound in binary (no quoting or escaping on either side); the other columns, the agent and activity keys
# included, as one JSON text read by json_to_recordset (its JSON arrays become text arrays): a few text
# parameters cost the driver far less to send than an array per column.
_INSERT_STATEMENTS = """
        INSERT INTO xapi_statements (tenant_id, statement_id, document, stored, verb_id, registration,
                                     voiding_target, statement_ref, voided, credential_id, handed_off,
                                     agent_keys, activity_keys)
        SELECT %(tenant_id)s, s.i, CAST(s.d AS json), %(stored)s, s.v, s.r, s.t, s.s, false,
               CAST(%(credential_id)s AS integer), false, s.g, s.c
        FROM ROWS FROM (json_to_recordset(CAST(%(statements)s AS json))
                            AS (i text, v text, r text, t text, s text, g text[], c text[]),
                        unnest(CAST(%(documents)b AS text[]))) WITH ORDINALITY AS s(i, v, r, t, s, g, c, d, n)
"""
# In a transaction: an id already stored is skipped by ON CONFLICT, and the caller compares its content.
_INSERT_POSTGRESQL = f"""{_INSERT_STATEMENTS}
    ORDER BY s.n
    ON CONFLICT (tenant_id, statement_id) DO NOTHING
    RETURNING statement_id
"""
# Autocommitted, all or nothing (see `insert_at_once`): an id already stored violates the unique constraint
# and undoes the whole statement; a credential revoked in the meantime lets no row in.
_INSERT_AT_ONCE = f"""
    WITH new AS ({_INSERT_STATEMENTS}
        WHERE EXISTS (SELECT FROM xapi_credentials c WHERE c.id = %(credential_id)s
                      AND c.tenant_id = %(tenant_id)s AND c.revoked_at IS NULL)
        ORDER BY s.n
        RETURNING 1
    )
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
                    "g": row.agent_keys,
                    "c": row.activity_keys,
                }
                for row in rows
            ]
        ),
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
    uow.session.execute(
        insert(StatementRecord),
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
                "agent_keys": row.agent_keys,
                "activity_keys": row.activity_keys,
            }
            for row in fresh
        ],
    )
    return {row.statement_id for row in fresh}


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
    dialect = dialect_of(uow)
    order = StatementRecord.seq.asc() if query.ascending else StatementRecord.seq.desc()
    live = [StatementRecord.tenant_id == tenant_id, StatementRecord.voided.is_(False)]
    if query.since is not None:
        live.append(StatementRecord.stored > query.since)
    if query.until is not None:
        live.append(StatementRecord.stored <= query.until)
    if query.after_seq is not None:
        live.append(StatementRecord.seq > query.after_seq if query.ascending else StatementRecord.seq < query.after_seq)

    def first(*conditions: ColumnElement[bool]) -> list[tuple[int, Any]]:
        statement = select(StatementRecord.seq, StatementRecord.document).where(*live, *conditions)
        return [
            (seq, document) for seq, document in uow.session.execute(statement.order_by(order).limit(query.limit + 1))
        ]

    if query.verb or query.registration or query.agent_key or query.activity:
        # Two queries, each served by its own index: the statements that match (on PostgreSQL, the GIN indexes
        # of the keys or a scan of the primary key in order, whichever the planner finds cheaper), and the few
        # statements with a StatementRef, each checked against the statement it points at. Between them they
        # hold the first `limit + 1` of the result; a statement can be in both.
        target = aliased(StatementRecord)
        rows = {
            **dict(first(*_matching(query, tenant_id, StatementRecord, dialect))),
            **dict(
                first(
                    StatementRecord.statement_ref.is_not(None),
                    select(literal(1))
                    .where(
                        target.statement_id == StatementRecord.statement_ref,
                        *_matching(query, tenant_id, target, dialect),
                    )
                    .exists(),
                )
            ),
        }
        found = sorted(rows.items(), reverse=not query.ascending, key=lambda row: row[0])[: query.limit + 1]
    else:
        found = first()
    page = found[: query.limit]
    next_seq = page[-1][0] if len(found) > query.limit else None
    return StatementPage(tuple(dict(document) for _, document in page), next_seq)


def _matching(query: StatementQuery, tenant_id: int, table: Any, dialect: str) -> list[ColumnElement[bool]]:
    """The conditions a statement of `table` (StatementRecord or an alias of it) meets to match the query's filters."""
    conditions = [table.tenant_id == tenant_id]
    if query.verb is not None:
        conditions.append(table.verb_id == query.verb)
    if query.registration is not None:
        conditions.append(table.registration == query.registration.lower())
    if query.agent_key is not None:
        agents = ["a:" + query.agent_key] + (["r:" + query.agent_key] if query.related_agents else [])
        conditions.append(_holds_any(table.agent_keys, agents, dialect))
    if query.activity is not None:
        activities = ["o:" + query.activity] + (["r:" + query.activity] if query.related_activities else [])
        conditions.append(_holds_any(table.activity_keys, activities, dialect))
    return conditions


def _holds_any(keys: InstrumentedAttribute[list[str]], wanted: list[str], dialect: str) -> ColumnElement[bool]:
    """Whether a key list column holds any of `wanted`: `&&` on PostgreSQL, which its GIN index serves;
    an EXISTS over json_each on SQLite."""
    if dialect == "postgresql":
        return type_coerce(keys, ARRAY(Text())).overlap(wanted)
    each = func.json_each(keys).table_valued("value")
    return select(literal(1)).select_from(each).where(each.c.value.in_(wanted)).exists()


def latest_activity_definition(uow: UnitOfWork, tenant_id: int, activity_id: str) -> dict[str, Any] | None:
    """The activity as statements describe it, later statements winning and language maps merged (§2.5)."""
    dialect = dialect_of(uow)
    documents = uow.session.scalars(
        select(StatementRecord.document)
        .where(
            StatementRecord.tenant_id == tenant_id,
            _holds_any(StatementRecord.activity_keys, ["o:" + activity_id], dialect),
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
