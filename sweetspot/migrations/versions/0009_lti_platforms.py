"""lti platforms

Revision ID: 0009_lti_platforms
Revises: 0008_pull_cursors
Create Date: 2026-11-23 21:14:13.633022
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import alignment.database

revision: str = "0009_lti_platforms"
down_revision: str | None = "0008_pull_cursors"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "lti_registrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("auth_login_url", sa.String(length=1000), nullable=False),
        sa.Column("auth_token_url", sa.String(length=1000), nullable=False),
        sa.Column("auth_audience", sa.String(length=1000), nullable=True),
        sa.Column("key_set_url", sa.String(length=1000), nullable=False),
        sa.Column("activate_deployments", sa.Boolean(), nullable=False),
        sa.Column("created_via", sa.String(length=20), nullable=False),
        sa.Column("created_at", alignment.database.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_lti_registrations_tenant_id_tenants"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_registrations")),
        sa.UniqueConstraint("issuer", "client_id", name=op.f("uq_lti_registrations_issuer_client_id")),
    )
    with op.batch_alter_table("lti_registrations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lti_registrations_tenant_id"), ["tenant_id"], unique=False)

    op.create_table(
        "lti_deployments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("deployment_id", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("first_seen_at", alignment.database.UtcDateTime(timezone=True), nullable=False),
        sa.Column("activated_at", alignment.database.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["lti_registrations.id"],
            name=op.f("fk_lti_deployments_registration_id_lti_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_deployments")),
        sa.UniqueConstraint(
            "registration_id", "deployment_id", name=op.f("uq_lti_deployments_registration_id_deployment_id")
        ),
    )
    op.create_table(
        "lti_service_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("context_id", sa.Integer(), nullable=False),
        sa.Column("deployment_id", sa.String(length=255), nullable=False),
        sa.Column("lineitems_url", sa.String(length=1000), nullable=True),
        sa.Column("ags_scopes", sa.String(length=1000), nullable=False),
        sa.Column("memberships_url", sa.String(length=1000), nullable=True),
        sa.Column("updated_at", alignment.database.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["context_id"], ["contexts.id"], name=op.f("fk_lti_service_links_context_id_contexts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["lti_registrations.id"],
            name=op.f("fk_lti_service_links_registration_id_lti_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_service_links")),
        sa.UniqueConstraint(
            "registration_id", "context_id", name=op.f("uq_lti_service_links_registration_id_context_id")
        ),
    )
    with op.batch_alter_table("lti_service_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lti_service_links_context_id"), ["context_id"], unique=False)

    op.create_table(
        "lti_used_nonces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=255), nullable=False),
        sa.Column("expires_at", alignment.database.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["lti_registrations.id"],
            name=op.f("fk_lti_used_nonces_registration_id_lti_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lti_used_nonces")),
        sa.UniqueConstraint("registration_id", "nonce", name=op.f("uq_lti_used_nonces_registration_id_nonce")),
    )
    with op.batch_alter_table("lti_used_nonces", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lti_used_nonces_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("lti_used_nonces", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lti_used_nonces_expires_at"))

    op.drop_table("lti_used_nonces")
    with op.batch_alter_table("lti_service_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lti_service_links_context_id"))

    op.drop_table("lti_service_links")
    op.drop_table("lti_deployments")
    with op.batch_alter_table("lti_registrations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_lti_registrations_tenant_id"))

    op.drop_table("lti_registrations")
