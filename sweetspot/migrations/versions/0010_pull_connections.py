"""Add upstream LRS connections pulled on a schedule, and the upstream stored time of statements

Revision ID: 0010_pull_connections
Revises: 0009_lti_platforms
Create Date: 2026-11-23 21:12:20.764237
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import alignment.database

revision: str = "0010_pull_connections"
down_revision: str | None = "0009_lti_platforms"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "xapi_pull_connections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("endpoint", sa.String(length=500), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("encrypted_secret", sa.Text(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("every_minutes", sa.Integer(), nullable=False),
        sa.Column("created_at", alignment.database.UtcDateTime(timezone=True), nullable=False),
        sa.Column("next_pull_at", alignment.database.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_pulled_at", alignment.database.UtcDateTime(timezone=True), nullable=True),
        sa.Column("statements_pulled", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", alignment.database.UtcDateTime(timezone=True), nullable=True),
        sa.Column("leased_until", alignment.database.UtcDateTime(timezone=True), nullable=True),
        sa.Column("lease_holder", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_xapi_pull_connections_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xapi_pull_connections")),
        sa.UniqueConstraint(
            "tenant_id", "endpoint", "key", name=op.f("uq_xapi_pull_connections_tenant_id_endpoint_key")
        ),
    )
    with op.batch_alter_table("xapi_pull_connections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_xapi_pull_connections_next_pull_at"), ["next_pull_at"], unique=False)

    with op.batch_alter_table("xapi_statements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("upstream_stored", alignment.database.UtcDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("xapi_statements", schema=None) as batch_op:
        batch_op.drop_column("upstream_stored")

    with op.batch_alter_table("xapi_pull_connections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_xapi_pull_connections_next_pull_at"))

    op.drop_table("xapi_pull_connections")
