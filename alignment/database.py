"""The database: declarative base, engine construction and the unit of work.

Every table of every package is declared on `Base`, so one set of Alembic migrations covers them all.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, ClassVar, Protocol, TypeVar, cast

from sqlalchemy import ColumnElement, MetaData, any_, bindparam, event
from sqlalchemy import create_engine as sa_create_engine
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, QueryableAttribute, Session, sessionmaker
from sqlalchemy.types import DateTime, TypeDecorator

from alignment.settings import AlignmentSettings

T = TypeVar("T")

# Stable constraint names, so migrations can drop and alter constraints on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite forgets the zone, so it is restored)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Refuse naive datetimes and store everything in UTC."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC datetime is required")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Return an aware UTC datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base for every Sweetspot table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UtcDateTime()}


def create_engine(url: str, settings: AlignmentSettings) -> Engine:
    """Build the engine for `url`, with SQLite set up for safe concurrent use by several processes."""
    if url.startswith("sqlite"):
        engine = sa_create_engine(
            url,
            echo=settings.sql_echo,
            connect_args={"timeout": settings.sqlite_busy_timeout_ms / 1000},
        )
        event.listen(engine, "connect", _configure_sqlite_connection)
        event.listen(engine, "begin", _begin_sqlite_transaction)
        return engine
    if settings.pool_ping_after_idle_seconds <= 0:
        return sa_create_engine(url, echo=settings.sql_echo, pool_size=settings.pool_size, pool_pre_ping=True)
    engine = sa_create_engine(url, echo=settings.sql_echo, pool_size=settings.pool_size)
    idle_seconds = settings.pool_ping_after_idle_seconds

    def checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info[_CHECKED_IN_AT] = time.monotonic()

    def checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        # pool_pre_ping, but only for connections that sat idle: a dead one is replaced (the pool retries).
        last_used = record.info.get(_CHECKED_IN_AT)
        if last_used is not None and time.monotonic() - last_used < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise DisconnectionError("the pooled connection is gone") from error

    event.listen(engine, "connect", checked_in)  # a new connection is alive
    event.listen(engine, "checkin", checked_in)
    event.listen(engine, "checkout", checked_out)
    return engine


_CHECKED_IN_AT = "sweetspot_checked_in_at"


def create_autocommit_engine(url: str, settings: AlignmentSettings) -> Engine | None:
    """An engine whose every SQL statement commits as it ends, for writes that fit in one statement; None on SQLite.

    Its pool does not ping a connection before lending it: that costs a round trip per checkout, and a
    caller of this engine sends one idempotent statement that it can send again on a fresh connection
    when the one lent turns out to be broken.
    """
    if url.startswith("sqlite"):
        return None
    return sa_create_engine(
        url, echo=settings.sql_echo, pool_size=settings.pool_size, pool_pre_ping=False, isolation_level="AUTOCOMMIT"
    )


def _configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers proceed while one process writes; foreign keys are off by default in SQLite.
    # pysqlite's own transaction handling is switched off so that `begin` below is the only BEGIN.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin_sqlite_transaction(connection: Any) -> None:
    # BEGIN IMMEDIATE takes the write lock up front, so two writers queue on the busy timeout
    # instead of failing with "database is locked" when a read transaction upgrades to a write.
    # Read-only work begins deferred and never waits for a writer (WAL keeps its snapshot).
    read_only = connection.get_execution_options().get(READ_ONLY, False)
    connection.exec_driver_sql("BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to `engine` that keep loaded values readable after commit."""
    return sessionmaker(bind=engine, expire_on_commit=False)


READ_ONLY = "sweetspot_read_only"
"""Execution option marking a connection that only reads (see `UnitOfWork(read_only=True)`)."""


class Memo:
    """Values worked out from the database and kept between units of work, by a key that names the version
    of the data they come from (so a newer version is a different key, never a stale value). Thread-safe;
    the least recently used values go first, beyond `size`: room for a tenant's catalogue and, for each of
    its hundreds of contexts, the org view and the agenda items."""

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], T]) -> T:
        """The value kept for `key`, made (outside the lock) and kept if there is none."""
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return cast(T, self._values[key])
        value = make()
        with self._lock:
            self._values[key] = value
            while len(self._values) > self._size:
                self._values.popitem(last=False)
        return value


class UnitOfWork:
    """One transaction: changes are kept only if `commit()` is called; leaving rolls back the rest.

    A read-only unit of work never takes SQLite's write lock, so pages and queries do not queue
    behind a long write; it cannot commit. `memo` is the process's `Memo`, if it keeps one.
    """

    def __init__(self, sessions: sessionmaker[Session], read_only: bool = False, memo: Memo | None = None) -> None:
        self._sessions = sessions
        self._read_only = read_only
        self._session: Session | None = None
        self.memo = memo

    @property
    def session(self) -> Session:
        """The session of the open unit of work."""
        if self._session is None:
            raise RuntimeError("the unit of work is not open; use it in a `with` block")
        return self._session

    def __enter__(self) -> UnitOfWork:
        self._session = self._sessions()
        if self._read_only:
            self._session.connection(execution_options={READ_ONLY: True})
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            session.rollback()
        finally:
            session.close()
            self._session = None

    def commit(self) -> None:
        """Make the changes of this unit of work durable."""
        if self._read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        self.session.commit()


def dialect_of(uow: UnitOfWork) -> str:
    """The name of the unit of work's database dialect (`postgresql` or `sqlite`)."""
    return uow.session.get_bind().dialect.name


def among(
    uow: UnitOfWork, column: ColumnElement[Any] | QueryableAttribute[Any], values: Iterable[Any]
) -> ColumnElement[bool]:
    """`column IN values`. On PostgreSQL the values go as one array parameter (`= ANY`): the statement's text
    is the same however many there are, so the driver parses and prepares it once rather than once per length
    (a pass names a context's hundreds of learners in several statements per context)."""
    if dialect_of(uow) == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(list(values))


def among_param(dialect: str, column: ColumnElement[Any] | QueryableAttribute[Any], name: str) -> ColumnElement[bool]:
    """`column IN :name`, for a statement built once per dialect and run with the values as parameter `name`
    (as `among`: one array parameter on PostgreSQL). Building a statement costs more than running it."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


def insert_for(dialect: str, entity: Any) -> postgresql.Insert | sqlite.Insert:
    """An INSERT into `entity`'s table that can take ON CONFLICT (PostgreSQL and SQLite both have it).

    One statement instead of a SELECT then an INSERT or UPDATE: one round trip to the database, and no
    race between two first launches of the same person. Callers build such statements once per dialect
    (with bind parameters, memoised) because building one costs more than running it.
    """
    return postgresql.insert(entity) if dialect == "postgresql" else sqlite.insert(entity)


class UnitOfWorkFactory(Protocol):
    """Makes units of work; edges receive one instead of a session or an engine."""

    def __call__(self, read_only: bool = False) -> UnitOfWork:
        """A new unit of work."""
        ...


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)
