"""The PostgreSQL pool pings a connection before use only when it sat idle, and replaces a dead one."""

from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import event, text

from alignment.database import create_engine
from alignment.settings import AlignmentSettings
from sweetspot.settings import normalise_database_url
from tests.conftest import POSTGRES_SERVER_URL, _libpq_url

pytestmark = pytest.mark.skipif(POSTGRES_SERVER_URL is None, reason="a PostgreSQL connection pool")


def _engine(engine_url: str, idle_seconds: float) -> tuple[object, list[str]]:
    engine = create_engine(engine_url, AlignmentSettings(pool_size=1, pool_ping_after_idle_seconds=idle_seconds))
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    return engine, statements


def test_a_connection_killed_while_idle_is_replaced_before_the_next_request(database_url: str) -> None:
    engine, _ = _engine(normalise_database_url(database_url), idle_seconds=0.05)
    with engine.connect() as connection:
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar_one()
    with psycopg.connect(_libpq_url(database_url), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])
    time.sleep(0.1)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
    engine.dispose()


def test_a_connection_used_a_moment_ago_is_not_pinged(database_url: str) -> None:
    engine, statements = _engine(normalise_database_url(database_url), idle_seconds=60)
    pings: list[object] = []
    original = engine.dialect.do_ping
    engine.dialect.do_ping = lambda connection: pings.append(connection) or original(connection)  # type: ignore[method-assign]
    for _ in range(3):
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    assert pings == []
    assert len(statements) == 3
    engine.dispose()
