"""Add the xAPI statement store, credentials and person identities

Revision ID: 0004_xapi_store
Revises: 0003_team_objectives
Create Date: 2026-11-23 18:55:34.989522
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import alignment.database

revision: str = "0004_xapi_store"
down_revision: str | None = "0003_team_objectives"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "xapi_credentials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("secret_digest", sa.String(length=64), nullable=False),
        sa.Column("read_only", sa.Boolean(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_at", alignment.database.UtcDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", alignment.database.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_xapi_credentials_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xapi_credentials")),
        sa.UniqueConstraint("key", name=op.f("uq_xapi_credentials_key")),
    )
    with op.batch_alter_table("xapi_credentials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_xapi_credentials_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "person_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=600), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_person_identities_person_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_person_identities_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person_identities")),
        sa.UniqueConstraint("tenant_id", "kind", "value", name=op.f("uq_person_identities_tenant_id_kind_value")),
    )
    with op.batch_alter_table("person_identities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_identities_person_id"), ["person_id"], unique=False)

    op.create_table(
        "xapi_statements",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("statement_id", sa.String(length=36), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("stored", alignment.database.UtcDateTime(timezone=True), nullable=False),
        sa.Column("verb_id", sa.String(length=1000), nullable=False),
        sa.Column("registration", sa.String(length=36), nullable=True),
        sa.Column("voiding_target", sa.String(length=36), nullable=True),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("credential_id", sa.Integer(), nullable=True),
        sa.Column("handed_off", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["xapi_credentials.id"],
            name=op.f("fk_xapi_statements_credential_id_xapi_credentials"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_xapi_statements_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_xapi_statements")),
        sa.UniqueConstraint("tenant_id", "statement_id", name=op.f("uq_xapi_statements_tenant_id_statement_id")),
    )
    with op.batch_alter_table("xapi_statements", schema=None) as batch_op:
        batch_op.create_index("ix_xapi_statements_handoff", ["tenant_id", "handed_off"], unique=False)
        batch_op.create_index("ix_xapi_statements_tenant_seq", ["tenant_id", "seq"], unique=False)

    op.create_table(
        "xapi_statement_activities",
        sa.Column("statement_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("activity_id", sa.String(length=1000), nullable=False),
        sa.Column("is_object", sa.Boolean(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["statement_seq"],
            ["xapi_statements.seq"],
            name=op.f("fk_xapi_statement_activities_statement_seq_xapi_statements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("statement_seq", "activity_id", "is_object", name=op.f("pk_xapi_statement_activities")),
    )
    with op.batch_alter_table("xapi_statement_activities", schema=None) as batch_op:
        batch_op.create_index(
            "ix_xapi_statement_activities_id", ["tenant_id", "activity_id", "statement_seq"], unique=False
        )

    op.create_table(
        "xapi_statement_agents",
        sa.Column("statement_seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("agent_key", sa.String(length=700), nullable=False),
        sa.Column("relation", sa.String(length=10), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["statement_seq"],
            ["xapi_statements.seq"],
            name=op.f("fk_xapi_statement_agents_statement_seq_xapi_statements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("statement_seq", "agent_key", "relation", name=op.f("pk_xapi_statement_agents")),
    )
    with op.batch_alter_table("xapi_statement_agents", schema=None) as batch_op:
        batch_op.create_index("ix_xapi_statement_agents_key", ["tenant_id", "agent_key", "statement_seq"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("xapi_statement_agents", schema=None) as batch_op:
        batch_op.drop_index("ix_xapi_statement_agents_key")

    op.drop_table("xapi_statement_agents")
    with op.batch_alter_table("xapi_statement_activities", schema=None) as batch_op:
        batch_op.drop_index("ix_xapi_statement_activities_id")

    op.drop_table("xapi_statement_activities")
    with op.batch_alter_table("xapi_statements", schema=None) as batch_op:
        batch_op.drop_index("ix_xapi_statements_tenant_seq")
        batch_op.drop_index("ix_xapi_statements_handoff")

    op.drop_table("xapi_statements")
    with op.batch_alter_table("person_identities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_identities_person_id"))

    op.drop_table("person_identities")
    with op.batch_alter_table("xapi_credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_xapi_credentials_tenant_id"))

    op.drop_table("xapi_credentials")
