"""LTI services: roster syncs, momentum line items and the score outbox

Revision ID: 0011_lti_services
Revises: 0010_pull_connections
Create Date: 2026-11-23 21:25:34.766862
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import alignment.database

revision: str = "0011_lti_services"
down_revision: str | None = "0010_pull_connections"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "lti_momentum_line_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("context_id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("created", sa.Boolean(), nullable=False),
        sa.Column("recorded_at", alignment.database.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["context_id"],
            ["contexts.id"],
            name=op.f("fk_lti_momentum_line_items_context_id_contexts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["lti_registrations.id"],
            name=op.f("fk_lti_momentum_line_items_registration_id_lti_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_momentum_line_items")),
        sa.UniqueConstraint(
            "registration_id", "context_id", name=op.f("uq_lti_momentum_line_items_registration_id_context_id")
        ),
    )
    with op.batch_alter_table("lti_momentum_line_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lti_momentum_line_items_context_id"), ["context_id"], unique=False)

    op.create_table(
        "lti_roster_syncs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("context_id", sa.Integer(), nullable=False),
        sa.Column("differences_url", sa.String(length=2000), nullable=True),
        sa.Column("last_full_sync_at", alignment.database.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", alignment.database.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_success_at", alignment.database.UtcDateTime(timezone=True), nullable=True),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["context_id"], ["contexts.id"], name=op.f("fk_lti_roster_syncs_context_id_contexts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["lti_registrations.id"],
            name=op.f("fk_lti_roster_syncs_registration_id_lti_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_roster_syncs")),
        sa.UniqueConstraint(
            "registration_id", "context_id", name=op.f("uq_lti_roster_syncs_registration_id_context_id")
        ),
    )
    with op.batch_alter_table("lti_roster_syncs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lti_roster_syncs_context_id"), ["context_id"], unique=False)

    op.create_table(
        "lti_score_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("context_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("due", sa.JSON(), nullable=True),
        sa.Column("due_since", alignment.database.UtcDateTime(timezone=True), nullable=True),
        sa.Column("sent", sa.JSON(), nullable=True),
        sa.Column("sent_at", alignment.database.UtcDateTime(timezone=True), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_attempt_at", alignment.database.UtcDateTime(timezone=True), nullable=True),
        sa.Column("next_attempt_at", alignment.database.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["context_id"], ["contexts.id"], name=op.f("fk_lti_score_outbox_context_id_contexts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_lti_score_outbox_person_id_people"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_lti_score_outbox_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_score_outbox")),
        sa.UniqueConstraint("context_id", "person_id", name=op.f("uq_lti_score_outbox_context_id_person_id")),
    )
    with op.batch_alter_table("lti_score_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lti_score_outbox_next_attempt_at"), ["next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_lti_score_outbox_tenant_id"), ["tenant_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("lti_score_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lti_score_outbox_tenant_id"))
        batch_op.drop_index(batch_op.f("ix_lti_score_outbox_next_attempt_at"))

    op.drop_table("lti_score_outbox")
    with op.batch_alter_table("lti_roster_syncs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lti_roster_syncs_context_id"))

    op.drop_table("lti_roster_syncs")
    with op.batch_alter_table("lti_momentum_line_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lti_momentum_line_items_context_id"))

    op.drop_table("lti_momentum_line_items")
