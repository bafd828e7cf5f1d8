"""Every migration upgrades and downgrades on the real database, and the models match the migrations."""

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, inspect, select, text
from sqlalchemy.engine import Engine

from alignment import sentences
from alignment.database import UnitOfWork, create_engine, session_factory
from alignment.flags import flags_of
from alignment.messages import verbatim
from alignment.roadmaps import latest_version
from alignment.sentences import english
from alignment.settings import AlignmentSettings
from sweetspot import database
from sweetspot.schema import compared_on, metadata
from sweetspot.settings import normalise_database_url
from tests.conftest import TestDatabases
from xapi_listener.store import StatementQuery, StatementRecord, query_statements

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
        context = MigrationContext.configure(
            connection, opts={"include_object": compared_on(connection.dialect.name), "compare_type": True}
        )
        differences = compare_metadata(context, metadata())
    assert differences == []


def test_upgrade_twice_changes_nothing(empty_engine: Engine) -> None:
    database.upgrade(empty_engine)
    tables = set(inspect(empty_engine).get_table_names())
    database.upgrade(empty_engine)
    assert set(inspect(empty_engine).get_table_names()) == tables
    assert database.schema_status(empty_engine).is_current


MOMENT = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
WHY = "Every analyst queries the warehouse."
OLD_PLAN = {
    "starts_on": "2026-11-01",
    "weekly_hours": 3.0,
    "items": [
        {"opportunity_id": 1, "title": "Python for analysts", "quadrant": "sweet_spot", "hours": 6.0,
         "reason": "You want Python (top priority), SQL (curious), and the organisation needs Python (critical).",
         "start": "2026-11-01", "finish": "2026-11-14", "org_why": "", "due": None, "prerequisite_of": []},
        {"opportunity_id": 2, "title": "SQL joins", "quadrant": "uphill", "hours": 3.0,
         "reason": f"The organisation needs SQL (important). Why: {WHY}",
         "start": "2026-11-14", "finish": "2026-11-21", "org_why": WHY, "due": None, "prerequisite_of": []},
        {"opportunity_id": 3, "title": "Data protection", "quadrant": "waste", "hours": 1.0,
         "reason": "Mandatory for everyone here, due 2026-12-15.",
         "start": "2026-11-21", "finish": "2026-11-23", "org_why": "", "due": "2026-12-15", "prerequisite_of": []},
    ],
    "left_out": [
        {"opportunity_id": 4, "title": "Swahili", "quadrant": "waste",
         "reason": "Neither your agenda nor the organisation's needs it."},
        {"opportunity_id": 5, "title": "Jazz piano", "quadrant": "gift",
         "reason": "A gift beyond the organisation's gift budget of 8 h a quarter."},
        {"opportunity_id": 6, "title": "Odd one", "quadrant": "gift", "reason": "Some sentence from a later version."},
    ],
}  # fmt: skip


def test_sentences_stored_before_0012_become_messages_and_go_back_to_english(empty_engine: Engine) -> None:
    database.upgrade(empty_engine, "0011_lti_services")
    tables = MetaData()
    tables.reflect(empty_engine)
    with empty_engine.begin() as connection:
        connection.execute(
            tables.tables["tenants"].insert(), {"id": 1, "slug": "acme", "name": "Acme", "created_at": MOMENT}
        )
        connection.execute(
            tables.tables["contexts"].insert(),
            {"id": 1, "tenant_id": 1, "lms_context_id": "c-1", "title": "Data", "created_at": MOMENT},
        )
        connection.execute(
            tables.tables["people"].insert(),
            {"id": 1, "tenant_id": 1, "lms_user_id": "u-1", "name": "Ana Alves", "provisional": False,
             "created_at": MOMENT},
        )  # fmt: skip
        connection.execute(
            tables.tables["roadmaps"].insert(),
            {"id": 1, "tenant_id": 1, "person_id": 1, "context_id": 1, "version": 2, "created_at": MOMENT,
             "trigger": "progress", "reason": "You finished “Python basics”, “Excel”.",
             "changes": "Added “SQL joins”; finish moved 3 days later.", "starts_on": date(2026, 11, 1),
             "weekly_hours": 3.0, "projected_finish": date(2026, 11, 23), "plan": OLD_PLAN},
        )  # fmt: skip
        flag = {"tenant_id": 1, "person_id": 1, "context_id": 1, "status": "open", "severity": "medium",
                "opened_at": MOMENT, "updated_at": MOMENT, "resolved_by_manager": False,
                "holds_off": False}  # fmt: skip
        connection.execute(
            tables.tables["stall_flags"].insert(),
            [
                {**flag, "id": 1, "rule": "gone_quiet",
                 "summary": "No learning activity for 21 days (last on 2026-11-02); they are usually active every 4 "
                            "days.",
                 "evidence": {"last_activity_on": "2026-11-02", "days_quiet": 21, "usual_gap_days": 4.0,
                              "threshold_days": 14},
                 "action": "Ask Ana Alves what blocks “SQL joins”: it is in their sweet spot, so something else is "
                           "in the way."},
                {**flag, "id": 2, "rule": "never_started", "status": "resolved", "resolved_at": MOMENT,
                 "summary": "Ana Alves has not started any learning in the 30 days since joining.",
                 "evidence": {"known_since": "2026-10-24", "days_without_activity": 30},
                 "action": f"Frame the strategic why of “SQL joins”: {WHY}"},
                {**flag, "id": 3, "rule": "plateau", "summary": "A sentence no template knows.", "evidence": {},
                 "action": "Neither does this one."},
            ],
        )  # fmt: skip

    database.upgrade(empty_engine)
    with UnitOfWork(session_factory(empty_engine), read_only=True) as uow:
        roadmap = latest_version(uow, 1, 1, 1)
        flags = {f.id: f for f in flags_of(uow, 1, include_resolved=True)}
    assert roadmap is not None
    assert roadmap.reason == sentences.REPLAN_FINISHED(titles=["Python basics", "Excel"])
    assert roadmap.changes == (sentences.CHANGES_ADDED(titles=["SQL joins"]), sentences.CHANGES_LATER(num=3))
    items, left_out = roadmap.plan.items, roadmap.plan.left_out
    assert items[0].reason == sentences.EXPLAIN_SWEET_SPOT(wants=[("Python", 3), ("SQL", 1)], needs=[("Python", 3)])
    assert items[1].reason == sentences.EXPLAIN_UPHILL_WHY(needs=[("SQL", 2)], why=WHY)
    assert items[2].reason == sentences.PLAN_MANDATORY(due=date(2026, 12, 15))
    assert [o.reason for o in left_out] == [  # the waste it listed was dropped by 0013
        sentences.LEFT_OUT_GIFT_BUDGET(hours=8.0),
        verbatim("Some sentence from a later version."),
    ]
    assert flags[1].summary == sentences.GONE_QUIET_RHYTHM(days=21, last_on="2026-11-02", rhythm=4.0)
    assert flags[1].action == sentences.ACTION_WHAT_BLOCKS(learner="Ana Alves", title="SQL joins")
    assert flags[2].summary == sentences.NEVER_STARTED(learner="Ana Alves", days=30)
    assert flags[2].action == sentences.ACTION_FRAME_WHY(title="SQL joins", why=WHY)
    assert (flags[3].summary, flags[3].action) == (
        verbatim("A sentence no template knows."),
        verbatim("Neither does this one."),
    )
    assert english(flags[1].summary) == (
        "No learning activity for 21 days (last on 2026-11-02); they are usually active every 4 days."
    )

    database.downgrade(empty_engine, "0011_lti_services")
    with empty_engine.connect() as connection:
        reason, changes, plan = connection.execute(text("SELECT reason, changes, plan FROM roadmaps")).one()
        summaries = dict(connection.execute(text("SELECT id, summary FROM stall_flags")).all())  # type: ignore[arg-type]
    assert reason == "You finished “Python basics”, “Excel”."
    assert changes == "Added “SQL joins”. Finish moved 3 days later."
    items = (json.loads(plan) if isinstance(plan, str) else plan)["items"]
    assert items[1]["reason"] == f"The organisation needs SQL (important). Why: {WHY}"
    assert summaries[2] == "Ana Alves has not started any learning in the 30 days since joining."
    assert summaries[3] == "A sentence no template knows."


def test_compacting_roadmaps_drops_only_the_waste_they_listed(empty_engine: Engine) -> None:
    database.upgrade(empty_engine, "0012_domain_messages")
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
                    "changes, starts_on, weekly_hours, plan) VALUES (1, 1, 1, :version, :now, 'first', '\"r\"', "
                    "'[]', '2026-11-23', 2.0, :plan)"
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


def test_statement_keys_move_from_their_tables_to_the_statement_rows_and_back(empty_engine: Engine) -> None:
    database.upgrade(empty_engine, "0018_policy_previews")
    course, module = "https://x.test/course", "https://x.test/module"
    ana, ben = "mbox:mailto:ana@x.test", "mbox:mailto:ben@x.test"
    documents = {
        1: {"actor": {"mbox": "mailto:ana@x.test"}, "object": {"id": module}},
        2: {"actor": {"mbox": "mailto:ben@x.test"}, "object": {"objectType": "Agent", "mbox": "mailto:ana@x.test"}},
    }
    with empty_engine.begin() as connection:
        connection.execute(text("INSERT INTO tenants (id, slug, name, created_at) VALUES (1, 't', 'T', :now)"), NOW)
        for seq, document in documents.items():
            connection.execute(
                text(
                    "INSERT INTO xapi_statements (seq, tenant_id, statement_id, document, stored, verb_id, voided,"
                    " handed_off) VALUES (:seq, 1, :id, :document, :now, 'https://x.test/verb', false, false)"
                ),
                {
                    **NOW,
                    "seq": seq,
                    "id": f"00000000-0000-4000-8000-00000000000{seq}",
                    "document": json.dumps(document),
                },
            )
        connection.execute(
            text(
                "INSERT INTO xapi_statement_agents (tenant_id, agent_key, statement_seq, relation) VALUES"
                " (1, :ana, 1, 'actor'), (1, :ben, 1, 'related'), (1, :ben, 2, 'actor'), (1, :ana, 2, 'object')"
            ),
            {"ana": ana, "ben": ben},
        )
        connection.execute(
            text(
                "INSERT INTO xapi_statement_activities (tenant_id, activity_id, statement_seq, is_object) VALUES"
                " (1, :module, 1, true), (1, :course, 1, false)"
            ),
            {"module": module, "course": course},
        )

    database.upgrade(empty_engine)
    with UnitOfWork(session_factory(empty_engine), read_only=True) as uow:
        keys = uow.session.execute(
            select(StatementRecord.seq, StatementRecord.agent_keys, StatementRecord.activity_keys).order_by(
                StatementRecord.seq
            )
        ).all()
        by_ana = query_statements(uow, 1, StatementQuery(agent_key=ana))
        in_course = query_statements(uow, 1, StatementQuery(activity=course, related_activities=True))
    assert [tuple(row) for row in keys] == [
        (1, [f"a:{ana}", f"r:{ben}"], [f"o:{module}", f"r:{course}"]),
        (2, [f"a:{ana}", f"a:{ben}"], []),
    ]
    assert [s["object"] for s in by_ana.statements] == [documents[2]["object"], documents[1]["object"]]
    assert [s["object"] for s in in_course.statements] == [documents[1]["object"]]

    database.downgrade(empty_engine, "0018_policy_previews")
    with empty_engine.connect() as connection:
        agents = connection.execute(
            text("SELECT statement_seq, agent_key, relation FROM xapi_statement_agents ORDER BY 1, 2")
        ).all()
        activities = connection.execute(
            text("SELECT statement_seq, activity_id, is_object FROM xapi_statement_activities ORDER BY 1, 2")
        ).all()
    # The filters never told an actor from an Agent object: both come back as 'actor'.
    assert [tuple(row) for row in agents] == [
        (1, ana, "actor"),
        (1, ben, "related"),
        (2, ana, "actor"),
        (2, ben, "actor"),
    ]
    assert [tuple(row) for row in activities] == [(1, course, False), (1, module, True)]
