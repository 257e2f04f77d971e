"""Search: facet values become index tokens, and PostgreSQL keeps one vector of fields and pages.

Each entry's fields gain a token per facet (fonds, year, retention, department, access label, state), a private-use
character and a letter before the value (appliance/domain/search_text.py facet_token), so the full-text match
itself narrows by them. PostgreSQL's `body` vector is replaced by `document`: the fields at weight A and the pages
at weight D in one vector with one GIN index, so a search is a single index scan. Both are computed here in SQL from
what the index already holds; nothing needs reindexing by hand.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

FACET_VALUES = {"f": "lower(f.code)", "y": "CAST(i.year AS TEXT)", "r": "lower(i.retention)",
                "d": "lower(i.department)", "l": "i.access_label", "s": "i.state"}  # of items i join fonds f


def _facet_tokens(mark: str) -> list[str]:
    """SQL for each facet token of an item: the mark (U+E000), the facet's letter, the value."""
    return [f"{mark} || '{letter}' || {value}" for letter, value in FACET_VALUES.items()]


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        tokens = " || ' ' || ".join(_facet_tokens("char(57344)"))
        op.execute(f"UPDATE search_index SET fields = trim(fields || ' ' || (SELECT {tokens} FROM items i "
                   "JOIN fonds f ON f.id = i.fonds_id WHERE i.id = search_index.rowid)) "
                   "WHERE rowid IN (SELECT id FROM items)")
        return
    tokens = ", ".join(_facet_tokens("chr(57344)"))
    op.execute(f"UPDATE search_index s SET fields = s.fields || array_to_tsvector(ARRAY[{tokens}]) "
               "FROM items i JOIN fonds f ON f.id = i.fonds_id WHERE i.id = s.item_id")
    op.execute("ALTER TABLE search_index ADD COLUMN document tsvector")
    op.execute("UPDATE search_index SET document = setweight(fields, 'A') || body")
    op.execute("ALTER TABLE search_index ALTER COLUMN document SET NOT NULL")
    op.drop_index("ix_search_index_body", "search_index")
    op.drop_column("search_index", "body")
    op.create_index("ix_search_index_document", "search_index", ["document"], postgresql_using="gin")


def downgrade() -> None:
    raise NotImplementedError("the search index is rebuilt with `dangan search reindex`, not downgraded")
