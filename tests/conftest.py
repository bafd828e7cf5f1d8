"""Fixtures shared by every tier: a real database (SQLite, or PostgreSQL when asked), settings, the app.

`SWEETSPOT_TEST_DATABASE_URL=postgresql://…` runs the suite on that PostgreSQL server, in a database
made for this run and dropped after it; unset, the suite runs on SQLite files.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import make_url
from sqlalchemy.engine import Engine

from alignment.database import create_engine
from alignment.settings import AlignmentSettings
from sweetspot import database
from sweetspot.app import create_app
from sweetspot.cli import main
from sweetspot.runtime import Runtime, bootstrap
from sweetspot.schema import metadata
from sweetspot.settings import Settings, normalise_database_url

POSTGRES_SERVER_URL = os.environ.get("SWEETSPOT_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("SWEETSPOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
IN_CI = os.environ.get("CI", "").lower() == "true"


class TestDatabases:
    """Makes fresh, empty databases on the backend under test and drops them at the end of the run."""

    __test__ = False

    def __init__(self, scratch: Path) -> None:
        self._scratch = scratch
        self._created: list[str] = []

    @property
    def backend(self) -> str:
        """`postgresql` or `sqlite`."""
        return "postgresql" if POSTGRES_SERVER_URL else "sqlite"

    def create(self) -> str:
        """The URL of a new empty database."""
        name = f"sweetspot_test_{uuid.uuid4().hex[:12]}"
        if POSTGRES_SERVER_URL is None:
            return f"sqlite:///{self._scratch / (name + '.db')}"
        with psycopg.connect(_libpq_url(POSTGRES_SERVER_URL), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
        self._created.append(name)
        server = make_url(normalise_database_url(POSTGRES_SERVER_URL))
        return server.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        """Drop every PostgreSQL database this run made."""
        if POSTGRES_SERVER_URL is None:
            return
        with psycopg.connect(_libpq_url(POSTGRES_SERVER_URL), autocommit=True) as connection:
            for name in self._created:
                connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def _libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabases]:
    """The database maker of this run."""
    made = TestDatabases(tmp_path_factory.mktemp("databases"))
    yield made
    made.drop_all()


@pytest.fixture(scope="session")
def database_url(databases: TestDatabases) -> str:
    """A database migrated to head, shared by the run and emptied after each test."""
    url = databases.create()
    engine = create_engine(normalise_database_url(url), AlignmentSettings())
    database.upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def session_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory whose secrets are generated once for the run (key generation is slow)."""
    return tmp_path_factory.mktemp("instance")


def make_settings(data_dir: Path, database_url: str, redis_url: str | None = None) -> Settings:
    """Settings for a test, independent of the developer's environment."""
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        redis_url=redis_url,
        secret_key=None,
        log_format="console",
    )


@pytest.fixture
def settings(session_data_dir: Path, database_url: str) -> Settings:
    """Settings on the shared migrated database."""
    return make_settings(session_data_dir, database_url)


@pytest.fixture
def runtime(settings: Settings) -> Iterator[Runtime]:
    """A runtime on the migrated database; every table is emptied after the test."""
    runtime = bootstrap(settings)
    yield runtime
    empty_every_table(runtime.engine)
    runtime.close()


def empty_every_table(engine: Engine) -> None:
    """Delete every row of every Sweetspot table, children first."""
    with engine.begin() as connection:
        for table in reversed(metadata().sorted_tables):
            connection.execute(table.delete())


@pytest.fixture
def app(runtime: Runtime) -> Flask:
    """The app with both edges, built by the factory."""
    app = create_app(runtime)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """An HTTP client for `app`."""
    return app.test_client()


class Cli:
    """Runs `sweetspot` commands in-process with the test's settings."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __call__(self, *args: str) -> Result:
        """Run `sweetspot ARGS…` and return its result."""
        return CliRunner().invoke(main, list(args), obj=self.settings, catch_exceptions=False)


@pytest.fixture
def cli(runtime: Runtime, settings: Settings) -> Cli:
    """The `sweetspot` command on the test's database."""
    return Cli(settings)
