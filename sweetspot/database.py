"""Schema migrations (Alembic) and the check that a database is at the revision this code needs."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

from alignment.database import READ_ONLY

MIGRATIONS = str(files("sweetspot") / "migrations")


def _alembic_config() -> Config:
    # Built in code: no alembic.ini and no Flask app are needed to migrate.
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    return config


def _run(engine: Engine, action: str, revision: str) -> None:
    config = _alembic_config()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode rebuilds a SQLite table by dropping the old one; with foreign keys enforced, dropping
            # `people` would delete every row that refers to a person. The pragma works only outside a
            # transaction, so it is set on the driver's connection before the migration's transaction begins.
            _sqlite_foreign_keys(connection, on=False)
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                getattr(command, action)(config, revision)
        finally:
            if sqlite:
                _sqlite_foreign_keys(connection, on=True)


def _sqlite_foreign_keys(connection: Connection, *, on: bool) -> None:
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database forward to `revision`."""
    _run(engine, "upgrade", revision)


def new_revision(engine: Engine, message: str) -> None:
    """Write a new migration with what the models declare and the database at head lacks (for developers)."""
    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.revision(config, message=message, autogenerate=True)


def downgrade(engine: Engine, revision: str) -> None:
    """Migrate the database back to `revision` (`base` removes every table)."""
    _run(engine, "downgrade", revision)


@dataclass(frozen=True)
class SchemaStatus:
    """Where the database stands against the migrations this code ships."""

    current: tuple[str, ...]
    expected: tuple[str, ...]
    known: tuple[str, ...]

    @property
    def is_current(self) -> bool:
        """True when the database is at exactly the head revisions."""
        return set(self.current) == set(self.expected)

    def describe(self) -> str:
        """One sentence saying where the database stands and what to do about it."""
        where = f"at revision {', '.join(self.current)}" if self.current else "empty"
        expected = ", ".join(self.expected)
        if self.is_current:
            return f"database schema is current ({where})"
        if set(self.current) <= set(self.known):
            return f"database is {where} but this Sweetspot needs revision {expected}: run `sweetspot db upgrade`"
        return (
            f"database is {where}, which this Sweetspot does not know "
            f"(it needs {expected}): it was migrated by a newer version of Sweetspot"
        )


@functools.cache
def _shipped_revisions() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The head revisions and every revision of the migrations shipped with this code."""
    script = ScriptDirectory.from_config(_alembic_config())
    known = tuple(revision.revision for revision in script.walk_revisions())
    return tuple(script.get_heads()), known


def schema_status(engine: Engine) -> SchemaStatus:
    """Compare the revision the database is at with the head of the shipped migrations."""
    with engine.connect().execution_options(**{READ_ONLY: True}) as connection:
        current = MigrationContext.configure(connection).get_current_heads()
    expected, known = _shipped_revisions()
    return SchemaStatus(current=tuple(current), expected=expected, known=known)


class SchemaNotCurrent(RuntimeError):
    """The database is not at the revision this code needs; the message says what to run."""


def require_current_schema(engine: Engine) -> None:
    """Refuse to go on unless the database is at the head revision."""
    status = schema_status(engine)
    if not status.is_current:
        raise SchemaNotCurrent(status.describe())
