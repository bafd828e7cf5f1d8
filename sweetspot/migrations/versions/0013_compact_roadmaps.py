"""Roadmap versions keep only the gifts left out

A roadmap version listed every opportunity it did not plan, each nobody needs included (about 285 KB of
JSON a version with a 2,000-opportunity catalogue). From this revision a plan lists only what was left
out for a reason a person can act on (gifts beyond the gift budget); the waste entries of stored versions
are removed. They cannot be put back on downgrade, and need not be: older code reads the shorter lists.

Revision ID: 0013_compact_roadmaps
Revises: 0011_lti_services
Create Date: 2026-11-24 00:07:17.143962
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013_compact_roadmaps"
down_revision: str | None = "0011_lti_services"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Both rewrite only the rows that list waste, keep every other entry in its order, and leave the rest of
# the plan's text untouched (numbers included), so a re-plan still finds an unchanged plan unchanged.
POSTGRESQL = """
UPDATE roadmaps SET plan = json_build_object(
    'starts_on', plan -> 'starts_on',
    'weekly_hours', plan -> 'weekly_hours',
    'items', plan -> 'items',
    'left_out', COALESCE(
        (SELECT json_agg(entry ORDER BY position)
         FROM json_array_elements(plan -> 'left_out') WITH ORDINALITY AS listed(entry, position)
         WHERE entry ->> 'quadrant' <> 'waste'),
        '[]'::json))
WHERE EXISTS (SELECT 1 FROM json_array_elements(plan -> 'left_out') AS listed(entry)
              WHERE entry ->> 'quadrant' = 'waste')
"""
SQLITE = """
UPDATE roadmaps SET plan = json_set(plan, '$.left_out',
    (SELECT json_group_array(json(value)) FROM json_each(roadmaps.plan, '$.left_out')
     WHERE json_extract(value, '$.quadrant') <> 'waste'))
WHERE EXISTS (SELECT 1 FROM json_each(roadmaps.plan, '$.left_out') WHERE json_extract(value, '$.quadrant') = 'waste')
"""


def upgrade() -> None:
    """Apply this revision."""
    op.execute(POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE)


def downgrade() -> None:
    """Revert this revision: the removed waste entries are not restored (see the module docstring)."""
