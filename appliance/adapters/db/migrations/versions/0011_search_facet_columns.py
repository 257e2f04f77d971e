"""Search on PostgreSQL: the index keeps each item's facet values as columns, so counting the matches of a search
per fonds, year, retention, department, label and state, and the scope's conditions, read the index alone instead
of looking up every match in `items` (190 ms for 20,000 matches through items, 50 ms without). SQLite's index is
unchanged: its facet tokens do the same inside FTS5.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

COLUMNS = (("fonds", sa.String(16)), ("year", sa.Integer), ("retention", sa.String(4)), ("department", sa.String(3)),
           ("access_label", sa.String(8)), ("state", sa.String(12)))


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for name, kind in COLUMNS:
        op.add_column("search_index", sa.Column(name, kind, nullable=True))
    op.execute("UPDATE search_index s SET fonds = f.code, year = i.year, retention = i.retention, "
               "department = i.department, access_label = i.access_label, state = i.state "
               "FROM items i JOIN fonds f ON f.id = i.fonds_id WHERE i.id = s.item_id")
    for name, _ in COLUMNS:
        op.alter_column("search_index", name, nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    for name, _ in COLUMNS:
        op.drop_column("search_index", name)
