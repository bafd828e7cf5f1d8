"""Every migration upgrades and downgrades on the real database, and the models match the migrations."""

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from alignment.database import create_engine
from alignment.settings import AlignmentSettings
from sweetspot import database
from sweetspot.schema import metadata
from sweetspot.settings import normalise_database_url
from tests.conftest import TestDatabases


@pytest.fixture
def empty_engine(databases: TestDatabases) -> Iterator[Engine]:
    engine = create_engine(normalise_database_url(databases.create()), AlignmentSettings())
    yield engine
    engine.dispose()


def revisions_oldest_first() -> list[str]:
    script = ScriptDirectory(database.MIGRATIONS)
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def test_each_revision_upgrades_and_downgrades_one_step_at_a_time(empty_engine: Engine) -> None:
    revisions = revisions_oldest_first()
    assert revisions, "there is at least one migration"
    for revision in revisions:
        database.upgrade(empty_engine, revision)
        assert database.schema_status(empty_engine).current == (revision,)
    assert database.schema_status(empty_engine).is_current
    for previous in [*reversed(revisions[:-1]), "base"]:
        database.downgrade(empty_engine, "-1")
        expected = () if previous == "base" else (previous,)
        assert database.schema_status(empty_engine).current == expected
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}


def test_models_match_the_migrations(empty_engine: Engine) -> None:
    database.upgrade(empty_engine)
    with empty_engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata())
    assert differences == []


def test_upgrade_twice_changes_nothing(empty_engine: Engine) -> None:
    database.upgrade(empty_engine)
    tables = set(inspect(empty_engine).get_table_names())
    database.upgrade(empty_engine)
    assert set(inspect(empty_engine).get_table_names()) == tables
    assert database.schema_status(empty_engine).is_current
