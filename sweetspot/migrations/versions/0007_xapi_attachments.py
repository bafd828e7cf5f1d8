"""Add xAPI attachment contents

Revision ID: 0007_xapi_attachments
Revises: 0006_statement_refs
Create Date: 2026-11-23 19:47:21.280092
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_xapi_attachments"
down_revision: str | None = "0006_statement_refs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "xapi_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("sha2", sa.String(length=128), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_xapi_attachments_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xapi_attachments")),
        sa.UniqueConstraint("tenant_id", "sha2", name=op.f("uq_xapi_attachments_tenant_id_sha2")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("xapi_attachments")
