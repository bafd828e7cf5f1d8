"""Roadmap versions keep only the gifts left out; running tallies of learning events; role labels

A roadmap version listed every opportunity it did not plan, each nobody needs included (about 285 KB of
JSON a version with a 2,000-opportunity catalogue). From this revision a plan lists only what was left
out for a reason a person can act on (gifts beyond the gift budget); the waste entries of stored versions
are removed. They cannot be put back on downgrade, and need not be: older code reads the shorter lists.

Each learner's progress per opportunity and active days are kept as running tallies (`learning_progress`,
`learning_activity`), built here from the stored events; two partial indexes find voiding statements and
the events of an LTI link. Tenants count the changes to their catalogue (`catalogue_version`); people get
the role label an LMS sends (`role_label`), which picks their org agenda in a context; roadmap versions
keep their items as stall rules read them (`steps`, compact; none for versions stored before, whose plan is
read instead).

Revision ID: 0013_compact_roadmaps
Revises: 0012_domain_messages
Create Date: 2026-11-24 00:07:17.143962
"""

import itertools
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import alignment.database
from alignment.rules.progress import LearningEvent, Matcher, MatcherIndex, effective_events, progress_by_opportunity

revision: str = "0013_compact_roadmaps"
down_revision: str | None = "0012_domain_messages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Both rewrite only the rows that list waste, keep every other entry in its order, and leave the rest of
# the plan's text untouched (numbers included), so a re-plan still finds an unchanged plan unchanged.
POSTGRESQL = """
UPDATE roadmaps SET plan = json_build_object(
    'starts_on', plan -> 'starts_on',
    'weekly_hours', plan -> 'weekly_hours',
    'items', plan -> 'items',
    'left_out', COALESCE(
        (SELECT json_agg(entry ORDER BY position)
         FROM json_array_elements(plan -> 'left_out') WITH ORDINALITY AS listed(entry, position)
         WHERE entry ->> 'quadrant' <> 'waste'),
        '[]'::json))
WHERE EXISTS (SELECT 1 FROM json_array_elements(plan -> 'left_out') AS listed(entry)
              WHERE entry ->> 'quadrant' = 'waste')
"""
SQLITE = """
UPDATE roadmaps SET plan = json_set(plan, '$.left_out',
    (SELECT json_group_array(json(value)) FROM json_each(roadmaps.plan, '$.left_out')
     WHERE json_extract(value, '$.quadrant') <> 'waste'))
WHERE EXISTS (SELECT 1 FROM json_each(roadmaps.plan, '$.left_out') WHERE json_extract(value, '$.quadrant') = 'waste')
"""


def upgrade() -> None:
    """Apply this revision."""
    op.execute(POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE)
    op.create_table(
        "learning_activity",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("latest_event_at", alignment.database.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_activity_at", alignment.database.UtcDateTime(timezone=True), nullable=True),
        sa.Column("days_from", sa.Date(), nullable=True),
        sa.Column("active_days", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_learning_activity_person_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_learning_activity_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_learning_activity")),
    )
    op.create_table(
        "learning_progress",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("opportunity_id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("first_activity_at", alignment.database.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_activity_at", alignment.database.UtcDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", alignment.database.UtcDateTime(timezone=True), nullable=True),
        sa.Column("done_fraction", sa.Float(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("completed_parts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunities.id"],
            name=op.f("fk_learning_progress_opportunity_id_opportunities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_learning_progress_person_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_learning_progress_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("person_id", "opportunity_id", name=op.f("pk_learning_progress")),
    )
    with op.batch_alter_table("learning_events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_learning_events_links",
            ["tenant_id", "lti_resource_link_id"],
            unique=False,
            sqlite_where=sa.text("lti_resource_link_id IS NOT NULL"),
            postgresql_where=sa.text("lti_resource_link_id IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_learning_events_voids",
            ["tenant_id", "voids"],
            unique=False,
            sqlite_where=sa.text("voids IS NOT NULL"),
            postgresql_where=sa.text("voids IS NOT NULL"),
        )
    _build_tallies(op.get_bind())
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("catalogue_version", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role_label", sa.String(length=100), nullable=True))
    with op.batch_alter_table("roadmaps", schema=None) as batch_op:
        batch_op.add_column(sa.Column("steps", sa.Text(), nullable=True))


def downgrade() -> None:
    """Revert this revision: the removed waste entries are not restored (see the module docstring)."""
    with op.batch_alter_table("roadmaps", schema=None) as batch_op:
        batch_op.drop_column("steps")
    with op.batch_alter_table("people", schema=None) as batch_op:
        batch_op.drop_column("role_label")
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("catalogue_version")
    with op.batch_alter_table("learning_events", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_learning_events_voids",
            sqlite_where=sa.text("voids IS NOT NULL"),
            postgresql_where=sa.text("voids IS NOT NULL"),
        )
        batch_op.drop_index(
            "ix_learning_events_links",
            sqlite_where=sa.text("lti_resource_link_id IS NOT NULL"),
            postgresql_where=sa.text("lti_resource_link_id IS NOT NULL"),
        )
    op.drop_table("learning_progress")
    op.drop_table("learning_activity")


# --- building the tallies from the events stored before this revision --------------------------------------
# The tables as they stand at this revision, so that the build does not depend on later models; the folding
# is the domain's pure rules (alignment.rules.progress), as the running tallies use.

_EVENTS = sa.table(
    "learning_events",
    sa.column("id", sa.Integer),
    sa.column("tenant_id", sa.Integer),
    sa.column("person_id", sa.Integer),
    sa.column("event_id", sa.String),
    sa.column("occurred_at", alignment.database.UtcDateTime(timezone=True)),
    sa.column("verb", sa.String),
    sa.column("activity_id", sa.String),
    sa.column("context_activity_ids", sa.JSON),
    sa.column("lti_resource_link_id", sa.String),
    sa.column("completion", sa.Boolean),
    sa.column("success", sa.Boolean),
    sa.column("progress", sa.Float),
    sa.column("voids", sa.String),
)
_ACTIVITIES = sa.table(
    "opportunity_activities", sa.column("tenant_id"), sa.column("activity_id"), sa.column("opportunity_id")
)
_LINKS = sa.table(
    "opportunity_lti_links", sa.column("tenant_id"), sa.column("resource_link_id"), sa.column("opportunity_id")
)
_PROGRESS = sa.table(
    "learning_progress",
    *(
        sa.column(name)
        for name in ("person_id", "opportunity_id", "tenant_id", "done_fraction", "events", "completed_parts")
    ),
    *(
        sa.column(name, alignment.database.UtcDateTime(timezone=True))
        for name in ("first_activity_at", "last_activity_at", "finished_at")
    ),
)
_ACTIVITY = sa.table(
    "learning_activity",
    sa.column("person_id"),
    sa.column("tenant_id"),
    sa.column("latest_event_at", alignment.database.UtcDateTime(timezone=True)),
    sa.column("last_activity_at", alignment.database.UtcDateTime(timezone=True)),
    sa.column("days_from", sa.Date),
    sa.column("active_days", sa.LargeBinary),
)
_BATCH = 2000


def _build_tallies(connection: sa.Connection) -> None:
    tenants = list(connection.execute(sa.select(_EVENTS.c.tenant_id).distinct()).scalars())
    for tenant in tenants:
        index = _index(connection, tenant)
        progress: list[dict[str, Any]] = []
        activity: list[dict[str, Any]] = []
        for person, events in itertools.groupby(_events(connection, tenant), key=lambda e: e.learner_id):
            mine = list(events)
            standing = effective_events(mine)
            for item in progress_by_opportunity(standing, index).values():
                progress.append(
                    {
                        "person_id": person,
                        "tenant_id": tenant,
                        "opportunity_id": item.opportunity_id,
                        "first_activity_at": item.first_activity_at,
                        "last_activity_at": item.last_activity_at,
                        "finished_at": item.finished_at,
                        "done_fraction": item.done_fraction,
                        "events": item.events,
                        "completed_parts": item.completed_parts,
                    }
                )
            days = sorted({e.occurred_at.date() for e in standing})
            bits = sum(1 << (day - days[0]).days for day in days) if days else 0
            activity.append(
                {
                    "person_id": person,
                    "tenant_id": tenant,
                    "latest_event_at": max(e.occurred_at for e in mine),
                    "last_activity_at": standing[-1].occurred_at if standing else None,
                    "days_from": days[0] if days else None,
                    "active_days": bits.to_bytes((bits.bit_length() + 7) // 8, "little"),
                }
            )
            if len(activity) >= _BATCH:
                _flush(connection, progress, activity)
        _flush(connection, progress, activity)


def _flush(connection: sa.Connection, progress: list[dict[str, Any]], activity: list[dict[str, Any]]) -> None:
    if progress:
        connection.execute(_PROGRESS.insert(), progress)
    if activity:
        connection.execute(_ACTIVITY.insert(), activity)
    progress.clear()
    activity.clear()


def _index(connection: sa.Connection, tenant: int) -> MatcherIndex:
    activities: dict[int, set[str]] = {}
    links: dict[int, set[str]] = {}
    for opportunity, activity in connection.execute(
        sa.select(_ACTIVITIES.c.opportunity_id, _ACTIVITIES.c.activity_id).where(_ACTIVITIES.c.tenant_id == tenant)
    ):
        activities.setdefault(opportunity, set()).add(activity)
    for opportunity, link in connection.execute(
        sa.select(_LINKS.c.opportunity_id, _LINKS.c.resource_link_id).where(_LINKS.c.tenant_id == tenant)
    ):
        links.setdefault(opportunity, set()).add(link)
    return MatcherIndex(
        [
            Matcher(o, frozenset(activities.get(o, ())), frozenset(links.get(o, ())))
            for o in sorted(set(activities) | set(links))
        ]
    )


def _events(connection: sa.Connection, tenant: int) -> Iterator[LearningEvent]:
    e = _EVENTS.c
    rows = connection.execute(
        sa.select(
            e.person_id,
            e.event_id,
            e.occurred_at,
            e.verb,
            e.activity_id,
            e.context_activity_ids,
            e.lti_resource_link_id,
            e.completion,
            e.success,
            e.progress,
            e.voids,
        )
        .where(e.tenant_id == tenant)
        .order_by(e.person_id, e.occurred_at, e.id)
        # Streamed (a server-side cursor on PostgreSQL): a large tenant's events never sit in memory at once.
        .execution_options(yield_per=10_000)
    )
    for person, event_id, at, verb, activity, parents, link, completion, success, progress, voids in rows:
        yield LearningEvent(
            event_id, person, at, verb, activity, tuple(parents or ()), link, completion, success, progress, voids
        )
