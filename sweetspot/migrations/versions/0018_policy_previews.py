"""Policy previews: what proposed stall-rule settings would flag, worked out by a background job.

Revision ID: 0018_policy_previews
Revises: 0017_credential_xapi_version
Create Date: 2026-11-24 06:26:36.290868
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import alignment.database

revision: str = "0018_policy_previews"
down_revision: str | None = "0017_credential_xapi_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "policy_previews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("based_on", sa.Integer(), nullable=False),
        sa.Column("proposed", sa.JSON(), nullable=False),
        sa.Column("requested_at", alignment.database.UtcDateTime(timezone=True), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("finished_at", alignment.database.UtcDateTime(timezone=True), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["people.id"],
            name=op.f("fk_policy_previews_requested_by_id_people"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_policy_previews_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_previews")),
    )
    with op.batch_alter_table("policy_previews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_policy_previews_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("policy_previews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_policy_previews_tenant_id"))

    op.drop_table("policy_previews")
