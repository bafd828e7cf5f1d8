"""Add xAPI documents: state, activity profiles and agent profiles

Revision ID: 0005_xapi_documents
Revises: 0004_xapi_store
Create Date: 2026-11-23 19:08:40.141153
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import alignment.database

revision: str = "0005_xapi_documents"
down_revision: str | None = "0004_xapi_store"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "xapi_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("activity_id", sa.String(length=1000), nullable=False),
        sa.Column("agent_key", sa.String(length=700), nullable=False),
        sa.Column("registration", sa.String(length=36), nullable=False),
        sa.Column("document_id", sa.String(length=500), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("etag", sa.String(length=40), nullable=False),
        sa.Column("updated", alignment.database.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_xapi_documents_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xapi_documents")),
        sa.UniqueConstraint(
            "tenant_id",
            "kind",
            "activity_id",
            "agent_key",
            "registration",
            "document_id",
            name=op.f("uq_xapi_documents_tenant_id_kind_activity_id_agent_key_registration_document_id"),
        ),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("xapi_documents")
