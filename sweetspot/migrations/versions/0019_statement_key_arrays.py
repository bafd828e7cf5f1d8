"""Statement agent and activity keys as lists on the statement row, with GIN indexes on PostgreSQL

The `agent` and `activity` filters searched two key tables, one row per agent and per activity a statement
names, each B-tree keyed by (tenant, key, statement). Every stored statement added an entry at the right edge
of each of its keys' ranges: one page per learner and per activity, thousands of distinct pages on a big store,
each read back in and written whole to the WAL after a checkpoint, so PostgreSQL's cost per statement grew with
the store (docs/ingest-performance.md). The keys now live on the statement row, `a:`/`r:` for agents (actor or
object / related) and `o:`/`r:` for activities (object / related); PostgreSQL keeps them as text arrays with GIN
indexes (new entries go to a pending list, merged key by key in bulk), SQLite as JSON lists read with json_each.

The key tables go, and with them the trigger of 0015_statement_index_keys that deleted their rows with their
tenant: the keys now go with their statement. Downgrading rebuilds the key tables from the lists; the filters
never told an actor from an Agent object, so both come back as 'actor' rows.

Revision ID: 0019_statement_key_arrays
Revises: 0018_policy_previews
Create Date: 2026-11-24 06:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0019_statement_key_arrays"
down_revision: str | None = "0018_policy_previews"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY_LIST = sa.JSON().with_variant(postgresql.ARRAY(sa.Text()), "postgresql")
COLUMNS = ("agent_keys", "activity_keys")
# Each key row as its entry in the list.
AGENT_ENTRY = "CASE relation WHEN 'related' THEN 'r:' ELSE 'a:' END || agent_key"
ACTIVITY_ENTRY = "CASE WHEN is_object THEN 'o:' ELSE 'r:' END || activity_id"
BACKFILL_POSTGRESQL = f"""
    WITH agents AS (
        SELECT statement_seq AS seq, array_agg(DISTINCT {AGENT_ENTRY}) AS entries
        FROM xapi_statement_agents GROUP BY statement_seq
    ), activities AS (
        SELECT statement_seq AS seq, array_agg(DISTINCT {ACTIVITY_ENTRY}) AS entries
        FROM xapi_statement_activities GROUP BY statement_seq
    )
    UPDATE xapi_statements s
    SET agent_keys = coalesce(k.agents, '{{}}'), activity_keys = coalesce(k.activities, '{{}}')
    FROM (SELECT seq, agents.entries AS agents, activities.entries AS activities
          FROM agents FULL JOIN activities USING (seq)) k
    WHERE s.seq = k.seq
"""  # noqa: S608 (constant SQL)
BACKFILL_SQLITE = f"""
    UPDATE xapi_statements SET
        agent_keys = (SELECT json_group_array(entry) FROM (
            SELECT DISTINCT {AGENT_ENTRY} AS entry FROM xapi_statement_agents
            WHERE statement_seq = xapi_statements.seq ORDER BY entry)),
        activity_keys = (SELECT json_group_array(entry) FROM (
            SELECT DISTINCT {ACTIVITY_ENTRY} AS entry FROM xapi_statement_activities
            WHERE statement_seq = xapi_statements.seq ORDER BY entry))
"""  # noqa: S608 (constant SQL)
# The key rows of each list entry (`entries` names the entries of `s.<column>` as `e.value`).
REFILL_AGENTS = """
    INSERT INTO xapi_statement_agents (statement_seq, agent_key, relation, tenant_id)
    SELECT s.seq, substr(e.value, 3), CASE WHEN e.value LIKE 'r:%' THEN 'related' ELSE 'actor' END, s.tenant_id
    FROM xapi_statements s, {entries}
"""
REFILL_ACTIVITIES = """
    INSERT INTO xapi_statement_activities (statement_seq, activity_id, is_object, tenant_id)
    SELECT s.seq, substr(e.value, 3), e.value LIKE 'o:%', s.tenant_id
    FROM xapi_statements s, {entries}
"""

# What 0015_statement_index_keys made, for the downgrade.
TRIGGER = "tenants_delete_statement_index_rows"
DELETE_INDEX_ROWS = """
    DELETE FROM xapi_statement_agents WHERE tenant_id = OLD.id;
    DELETE FROM xapi_statement_activities WHERE tenant_id = OLD.id;
"""


def upgrade() -> None:
    """Apply this revision: fill the lists from the key tables, then drop those."""
    postgres = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("xapi_statements", schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.add_column(sa.Column(column, KEY_LIST, nullable=True))
    if postgres:
        op.execute(BACKFILL_POSTGRESQL)
    else:
        # The key tables' keys lead with the key: an index by statement makes the correlated lookups cheap.
        op.execute("CREATE INDEX tmp_xapi_statement_agents_seq ON xapi_statement_agents (statement_seq)")
        op.execute("CREATE INDEX tmp_xapi_statement_activities_seq ON xapi_statement_activities (statement_seq)")
        op.execute(BACKFILL_SQLITE)
    empty = "'{}'" if postgres else "'[]'"
    for column in COLUMNS:
        op.execute(f"UPDATE xapi_statements SET {column} = {empty} WHERE {column} IS NULL")  # noqa: S608
    with op.batch_alter_table("xapi_statements", schema=None) as batch_op:
        for column in COLUMNS:
            batch_op.alter_column(column, existing_type=KEY_LIST, nullable=False)
    if postgres:
        op.create_index("ix_xapi_statements_agent_keys", "xapi_statements", ["agent_keys"], postgresql_using="gin")
        op.create_index(
            "ix_xapi_statements_activity_keys", "xapi_statements", ["activity_keys"], postgresql_using="gin"
        )
        op.execute(f"DROP TRIGGER {TRIGGER} ON tenants")
        op.execute(f"DROP FUNCTION {TRIGGER}()")
    else:
        op.execute(f"DROP TRIGGER {TRIGGER}")
    op.drop_table("xapi_statement_agents")
    op.drop_table("xapi_statement_activities")


def downgrade() -> None:
    """Revert this revision: rebuild the key tables (as 0015_statement_index_keys left them) from the lists."""
    postgres = op.get_bind().dialect.name == "postgresql"
    sequence_id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "xapi_statement_agents",
        sa.Column("statement_seq", sequence_id, nullable=False),
        sa.Column("agent_key", sa.String(length=700), nullable=False),
        sa.Column("relation", sa.String(length=10), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "agent_key", "statement_seq", "relation", name=op.f("pk_xapi_statement_agents")
        ),
    )
    op.create_table(
        "xapi_statement_activities",
        sa.Column("statement_seq", sequence_id, nullable=False),
        sa.Column("activity_id", sa.String(length=1000), nullable=False),
        sa.Column("is_object", sa.Boolean(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "activity_id", "statement_seq", "is_object", name=op.f("pk_xapi_statement_activities")
        ),
    )
    entries = "unnest(s.{column}) AS e(value)" if postgres else "json_each(s.{column}) AS e"
    op.execute(REFILL_AGENTS.format(entries=entries.format(column="agent_keys")))
    op.execute(REFILL_ACTIVITIES.format(entries=entries.format(column="activity_keys")))
    if postgres:
        op.execute(
            f"CREATE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {DELETE_INDEX_ROWS}"
            " RETURN OLD; END $$"
        )
        op.execute(f"CREATE TRIGGER {TRIGGER} BEFORE DELETE ON tenants FOR EACH ROW EXECUTE FUNCTION {TRIGGER}()")
        op.drop_index("ix_xapi_statements_activity_keys", table_name="xapi_statements", postgresql_using="gin")
        op.drop_index("ix_xapi_statements_agent_keys", table_name="xapi_statements", postgresql_using="gin")
    else:
        op.execute(f"CREATE TRIGGER {TRIGGER} BEFORE DELETE ON tenants FOR EACH ROW BEGIN {DELETE_INDEX_ROWS} END")
    with op.batch_alter_table("xapi_statements", schema=None) as batch_op:
        for column in reversed(COLUMNS):
            batch_op.drop_column(column)
