"""Index the statement a StatementRef points at

Revision ID: 0006_statement_refs
Revises: 0005_xapi_documents
Create Date: 2026-11-23 19:35:22.401708
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_statement_refs"
down_revision: str | None = "0005_xapi_documents"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision, filling the new column for statements already stored."""
    with op.batch_alter_table("xapi_statements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("statement_ref", sa.String(length=36), nullable=True))
        batch_op.create_index(batch_op.f("ix_xapi_statements_statement_ref"), ["statement_ref"], unique=False)
    statements = sa.table(
        "xapi_statements", sa.column("seq"), sa.column("document", sa.JSON), sa.column("statement_ref")
    )
    connection = op.get_bind()
    for seq, document in connection.execute(sa.select(statements.c.seq, statements.c.document)).all():
        target = document.get("object") or {}
        if target.get("objectType") == "StatementRef":
            connection.execute(
                statements.update().where(statements.c.seq == seq).values(statement_ref=str(target["id"]).lower())
            )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("xapi_statements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_xapi_statements_statement_ref"))
        batch_op.drop_column("statement_ref")
