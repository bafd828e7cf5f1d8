"""The xAPI version a credential's client speaks

A request that names no X-Experience-API-Version is refused (400), and the refusal says which version the
LRS answered in. A client that speaks xAPI 2.0 expects 2.0.0 there, one that speaks 1.0.x expects 1.0.3;
a credential now records which its client speaks. Existing credentials keep 1.0.3, as before.

Revision ID: 0017_credential_xapi_version
Revises: 0016_roadmap_plans_lz4
Create Date: 2026-11-24 03:21:42.318620
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_credential_xapi_version"
down_revision: str | None = "0016_roadmap_plans_lz4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("xapi_credentials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("xapi_version", sa.String(length=8), server_default="1.0.3", nullable=False))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("xapi_credentials", schema=None) as batch_op:
        batch_op.drop_column("xapi_version")
