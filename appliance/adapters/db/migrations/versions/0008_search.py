"""Full-text search: one index entry per item, its catalogue fields and its OCR text as Chinese-aware tokens.

SQLite: an FTS5 table whose rowid is the item's id. PostgreSQL: two tsvectors per item with GIN indexes. The
tokens are made in Python (appliance/domain/search_text.py), so both databases index exactly the same words.
Neither is an ORM model: the schema test leaves tables named search_index* alone.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # unicode61 only splits on spaces here: every token is letters, digits or CJK, already case folded
        op.execute("CREATE VIRTUAL TABLE search_index USING fts5(fields, body, "
                   "tokenize='unicode61 remove_diacritics 0')")
        return
    op.create_table(
        "search_index",
        sa.Column("item_id", sa.Integer,
                  sa.ForeignKey("items.id", name="fk_search_index_item_id_items", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("fields", postgresql.TSVECTOR, nullable=False),
        sa.Column("body", postgresql.TSVECTOR, nullable=False),
    )
    op.create_index("ix_search_index_fields", "search_index", ["fields"], postgresql_using="gin")
    op.create_index("ix_search_index_body", "search_index", ["body"], postgresql_using="gin")


def downgrade() -> None:
    op.drop_table("search_index")
