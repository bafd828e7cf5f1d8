"""Add cursors for pulling from upstream LRSs

Revision ID: 0008_pull_cursors
Revises: 0007_xapi_attachments
Create Date: 2026-11-23 20:28:07.529405
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import alignment.database

revision: str = "0008_pull_cursors"
down_revision: str | None = "0007_xapi_attachments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "xapi_pull_cursors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("endpoint", sa.String(length=500), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("since", sa.String(length=40), nullable=True),
        sa.Column("pulled", sa.Integer(), nullable=False),
        sa.Column("last_pulled_at", alignment.database.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_xapi_pull_cursors_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xapi_pull_cursors")),
        sa.UniqueConstraint("tenant_id", "endpoint", "key", name=op.f("uq_xapi_pull_cursors_tenant_id_endpoint_key")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("xapi_pull_cursors")
