"""Roadmap plans compressed with LZ4 on PostgreSQL

A roadmap version's plan (10 to 20 KB of JSON) and its steps are stored out of line and compressed
(TOAST). PostgreSQL's default method, pglz, costs the server about as much CPU as the rest of the
insert: a first re-plan of a large tenant writes a hundred thousand versions at once, on the same cores
as the engine. LZ4 (PostgreSQL 14 and later, when built with it) compresses several times faster, at a
slightly larger size. Versions stored before keep their compression until rewritten; both are read alike.
SQLite is unchanged.

Revision ID: 0016_roadmap_plans_lz4
Revises: 0015_statement_index_keys
Create Date: 2026-11-24 03:46:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_roadmap_plans_lz4"
down_revision: str | None = "0015_statement_index_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("plan", "steps")


def _lz4_available() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    found = bind.execute(
        sa.text("SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")
    ).scalar()
    return bool(found)


def upgrade() -> None:
    if _lz4_available():
        for column in COLUMNS:
            op.execute(f"ALTER TABLE roadmaps ALTER COLUMN {column} SET COMPRESSION lz4")


def downgrade() -> None:
    if _lz4_available():
        for column in COLUMNS:
            op.execute(f"ALTER TABLE roadmaps ALTER COLUMN {column} SET COMPRESSION pglz")
