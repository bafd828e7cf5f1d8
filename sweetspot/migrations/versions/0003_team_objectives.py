"""Add team learning objectives and their key results

Revision ID: 0003_team_objectives
Revises: 0002_domain
Create Date: 2026-11-23 18:43:54.152069
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import alignment.database

revision: str = "0003_team_objectives"
down_revision: str | None = "0002_domain"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "team_objectives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("context_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=7), nullable=False),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", alignment.database.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["people.id"], name=op.f("fk_team_objectives_author_id_people"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["context_id"], ["contexts.id"], name=op.f("fk_team_objectives_context_id_contexts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_team_objectives_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team_objectives")),
        sa.UniqueConstraint("context_id", "quarter", name=op.f("uq_team_objectives_context_id_quarter")),
    )
    with op.batch_alter_table("team_objectives", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_team_objectives_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "team_key_results",
        sa.Column("objective_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["objective_id"],
            ["team_objectives.id"],
            name=op.f("fk_team_key_results_objective_id_team_objectives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("objective_id", "kind", name=op.f("pk_team_key_results")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("team_key_results")
    with op.batch_alter_table("team_objectives", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_team_objectives_tenant_id"))

    op.drop_table("team_objectives")
