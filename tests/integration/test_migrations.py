"""Every migration upgrades and downgrades on the real database, and the models match the migrations."""

import json
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

from alignment.database import create_engine
from alignment.settings import AlignmentSettings
from sweetspot import database
from sweetspot.schema import metadata
from sweetspot.settings import normalise_database_url
from tests.conftest import TestDatabases

NOW = {"now": "2026-11-23 12:00:00+00:00"}


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


def test_compacting_roadmaps_drops_only_the_waste_they_listed(empty_engine: Engine) -> None:
    database.upgrade(empty_engine, "0011_lti_services")
    item = {"opportunity_id": 1, "title": "SQL", "quadrant": "uphill", "reason": "Needed.", "hours": 8.333333333333334}
    gift = {"opportunity_id": 3, "title": "Swahili", "quadrant": "gift", "reason": "A gift beyond the budget."}
    waste = {"opportunity_id": 2, "title": "Knots", "quadrant": "waste", "reason": "Neither needs it."}
    late_gift = {**gift, "opportunity_id": 4, "title": "Welsh"}
    plans = [
        {"starts_on": "2026-11-23", "weekly_hours": 2.0, "items": [item], "left_out": [waste, gift, waste, late_gift]},
        {"starts_on": "2026-11-23", "weekly_hours": 2.0, "items": [item], "left_out": [waste]},
        {"starts_on": "2026-11-23", "weekly_hours": 2.0, "items": [], "left_out": [gift]},
    ]
    with empty_engine.begin() as connection:
        connection.execute(text("INSERT INTO tenants (id, slug, name, created_at) VALUES (1, 't', 'T', :now)"), NOW)
        connection.execute(
            text("INSERT INTO people (id, tenant_id, name, provisional, created_at) VALUES (1, 1, 'Ana', false, :now)"),
            NOW,
        )
        connection.execute(
            text(
                "INSERT INTO contexts (id, tenant_id, lms_context_id, title, created_at) VALUES (1, 1, 'c', 'C', :now)"
            ),
            NOW,
        )
        for version, plan in enumerate(plans, start=1):
            connection.execute(
                text(
                    "INSERT INTO roadmaps (tenant_id, person_id, context_id, version, created_at, trigger, reason, "
                    "changes, starts_on, weekly_hours, plan) VALUES (1, 1, 1, :version, :now, 'first', 'r', 'c', "
                    "'2026-11-23', 2.0, :plan)"
                ),
                {"version": version, "plan": json.dumps(plan), **NOW},
            )
    database.upgrade(empty_engine, "0013_compact_roadmaps")
    with empty_engine.connect() as connection:
        stored = [
            json.loads(plan) if isinstance(plan, str) else plan
            for plan in connection.execute(text("SELECT plan FROM roadmaps ORDER BY version")).scalars()
        ]
    assert stored == [
        {**plans[0], "left_out": [gift, late_gift]},
        {**plans[1], "left_out": []},
        plans[2],
    ]
    assert stored[0]["items"][0]["hours"] == 8.333333333333334


def test_the_tallies_are_built_from_the_events_stored_before(empty_engine: Engine) -> None:
    database.upgrade(empty_engine, "0011_lti_services")
    events = [
        ("e1", "2026-03-02 09:00:00+00:00", "http://adlnet.gov/expapi/verbs/progressed", "https://x.test/sql", 0.5),
        ("e2", "2026-03-04 10:00:00+00:00", "http://adlnet.gov/expapi/verbs/completed", "https://x.test/sql", None),
        ("e3", "2026-03-05 10:00:00+00:00", "http://adlnet.gov/expapi/verbs/experienced", "https://x.test/other", None),
    ]
    with empty_engine.begin() as connection:
        connection.execute(text("INSERT INTO tenants (id, slug, name, created_at) VALUES (1, 't', 'T', :now)"), NOW)
        connection.execute(
            text("INSERT INTO people (id, tenant_id, name, provisional, created_at) VALUES (1, 1, 'Ana', false, :now)"),
            NOW,
        )
        connection.execute(
            text(
                "INSERT INTO opportunities (id, tenant_id, title, kind, effort_hours, status, created_at, updated_at) "
                "VALUES (1, 1, 'SQL', 'course', 2, 'active', :now, :now)"
            ),
            NOW,
        )
        connection.execute(
            text(
                "INSERT INTO opportunity_activities (tenant_id, activity_id, opportunity_id) "
                "VALUES (1, 'https://x.test/sql', 1)"
            )
        )
        for event_id, at, verb, activity, progress in events:
            connection.execute(
                text(
                    "INSERT INTO learning_events (tenant_id, person_id, event_id, occurred_at, verb, activity_id, "
                    "context_activity_ids, progress, recorded_at) VALUES (1, 1, :event_id, :at, :verb, :activity, "
                    "'[]', :progress, :at)"
                ),
                {"event_id": event_id, "at": at, "verb": verb, "activity": activity, "progress": progress},
            )
        # The completion is voided, the day after the last event.
        connection.execute(
            text(
                "INSERT INTO learning_events (tenant_id, person_id, event_id, occurred_at, verb, context_activity_ids, "
                "voids, recorded_at) VALUES (1, 1, 'v', '2026-03-06 08:00:00+00:00', "
                "'http://adlnet.gov/expapi/verbs/voided', '[]', 'e2', :now)"
            ),
            NOW,
        )
    database.upgrade(empty_engine, "0013_compact_roadmaps")
    with empty_engine.connect() as connection:
        progress = connection.execute(
            text("SELECT opportunity_id, events, done_fraction, finished_at FROM learning_progress")
        ).all()
        activity = connection.execute(
            text("SELECT days_from, active_days, last_activity_at, latest_event_at FROM learning_activity")
        ).one()
    assert progress == [(1, 1, 0.5, None)]
    assert str(activity.days_from) == "2026-03-02"
    assert bytes(activity.active_days) == bytes([0b1001])  # 2 and 5 March; the 4th's only event was voided
    assert str(activity.last_activity_at).startswith("2026-03-05 10:00")
    assert str(activity.latest_event_at).startswith("2026-03-06 08:00")
