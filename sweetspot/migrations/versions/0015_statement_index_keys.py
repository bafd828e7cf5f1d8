"""Statement index rows keyed for their queries, without per-row foreign keys

The agent and activity rows of a statement are written in the same SQL statement as the statement itself
(xapi_listener/store.py), so a foreign key on them only re-checked, row by row, what that INSERT already
guarantees: on PostgreSQL its triggers were a fifth of the INSERT's cost. Their primary keys now lead with
the columns the `agent` and `activity` filters search by, which makes the separate search indexes redundant,
and the StatementRef index leaves out the statements that have none (almost all of them).

What the foreign keys' ON DELETE CASCADE did is kept for the one way statements are deleted, with their
tenant: a trigger deletes the tenant's index rows. (Sweetspot never deletes single statements; an index row
whose statement was deleted by hand matches nothing, because every query joins the statements.)

Revision ID: 0015_statement_index_keys
Revises: 0013_compact_roadmaps
Create Date: 2026-11-24 00:22:18.694379
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_statement_index_keys"
down_revision: str | None = "0013_compact_roadmaps"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = {
    # table: (old primary key, new primary key, (the search index the new key replaces, its columns))
    "xapi_statement_agents": (
        ("statement_seq", "agent_key", "relation"),
        ("tenant_id", "agent_key", "statement_seq", "relation"),
        ("ix_xapi_statement_agents_key", ("tenant_id", "agent_key", "statement_seq")),
    ),
    "xapi_statement_activities": (
        ("statement_seq", "activity_id", "is_object"),
        ("tenant_id", "activity_id", "statement_seq", "is_object"),
        ("ix_xapi_statement_activities_id", ("tenant_id", "activity_id", "statement_seq")),
    ),
}
TRIGGER = "tenants_delete_statement_index_rows"
DELETE_INDEX_ROWS = """
    DELETE FROM xapi_statement_agents WHERE tenant_id = OLD.id;
    DELETE FROM xapi_statement_activities WHERE tenant_id = OLD.id;
"""
NOT_NULL_REF = sa.text("statement_ref IS NOT NULL")


def upgrade() -> None:
    """Apply this revision."""
    for table, (_old_key, new_key, (index, _columns)) in TABLES.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_statement_seq_xapi_statements", type_="foreignkey")
            batch_op.drop_constraint(f"pk_{table}", type_="primary")
            batch_op.create_primary_key(f"pk_{table}", list(new_key))
            batch_op.drop_index(index)
    with op.batch_alter_table("xapi_statements", schema=None) as batch_op:
        batch_op.drop_index("ix_xapi_statements_statement_ref")
        batch_op.create_index(
            "ix_xapi_statements_statement_ref",
            ["statement_ref"],
            unique=False,
            postgresql_where=NOT_NULL_REF,
            sqlite_where=NOT_NULL_REF,
        )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE FUNCTION {TRIGGER}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {DELETE_INDEX_ROWS}"
            " RETURN OLD; END $$"
        )
        op.execute(f"CREATE TRIGGER {TRIGGER} BEFORE DELETE ON tenants FOR EACH ROW EXECUTE FUNCTION {TRIGGER}()")
    else:
        op.execute(f"CREATE TRIGGER {TRIGGER} BEFORE DELETE ON tenants FOR EACH ROW BEGIN {DELETE_INDEX_ROWS} END")


def downgrade() -> None:
    """Revert this revision."""
    op.execute(f"DROP TRIGGER {TRIGGER}" + (" ON tenants" if op.get_bind().dialect.name == "postgresql" else ""))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION {TRIGGER}()")
    with op.batch_alter_table("xapi_statements", schema=None) as batch_op:
        batch_op.drop_index("ix_xapi_statements_statement_ref")
        batch_op.create_index("ix_xapi_statements_statement_ref", ["statement_ref"], unique=False)
    for table, (old_key, _new_key, (index, columns)) in TABLES.items():
        # Index rows whose statement is gone would break the foreign key: they matched nothing anyway.
        op.execute(f"DELETE FROM {table} WHERE statement_seq NOT IN (SELECT seq FROM xapi_statements)")  # noqa: S608
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"pk_{table}", type_="primary")
            batch_op.create_primary_key(f"pk_{table}", list(old_key))
            batch_op.create_index(index, list(columns), unique=False)
            batch_op.create_foreign_key(
                f"fk_{table}_statement_seq_xapi_statements",
                "xapi_statements",
                ["statement_seq"],
                ["seq"],
                ondelete="CASCADE",
            )
