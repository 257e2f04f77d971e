"""Assistance and related records: keywords offered as tags, filing suggestions with what people did with them, the
trained filing models, and links between items.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_items_doc_number", "items", ["doc_number"])
    _create_item_keywords()
    _create_suggestion_models()
    _create_filing_suggestions()
    _create_item_links()


def _create_item_keywords() -> None:
    op.create_table(
        "item_keywords",
        sa.Column("item_id", sa.Integer,
                  sa.ForeignKey("items.id", name="fk_item_keywords_item_id_items", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("keyword", sa.String(40), primary_key=True),
        sa.Column("weight", sa.Float, nullable=False),
        sa.Column("origin", sa.String(8), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("decided_by", sa.String(32), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("state IN ('suggested', 'accepted', 'dismissed')", name="ck_item_keywords_state"),
        sa.CheckConstraint("origin IN ('text', 'manual')", name="ck_item_keywords_origin"),
    )
    op.create_index("ix_item_keywords_keyword", "item_keywords", ["keyword", "state"])


def _create_suggestion_models() -> None:
    op.create_table(
        "suggestion_models",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("trained_items", sa.Integer, nullable=False),
        sa.Column("archived_watermark", sa.Integer, nullable=False),
        sa.Column("metrics", sa.Text, nullable=False),
        sa.Column("file_sha256", sa.String(64), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
    )


def _create_filing_suggestions() -> None:
    op.create_table(
        "filing_suggestions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("document_id", sa.Integer,
                  sa.ForeignKey("intake_documents.id", name="fk_filing_suggestions_document_id_intake_documents"),
                  nullable=True),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("items.id", name="fk_filing_suggestions_item_id_items"),
                  nullable=True),
        sa.Column("field", sa.String(16), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("rank", sa.Integer, nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
        sa.Column("model_id", sa.Integer,
                  sa.ForeignKey("suggestion_models.id", name="fk_filing_suggestions_model_id_suggestion_models"),
                  nullable=True),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(8), nullable=True),
        sa.Column("final_value", sa.Text, nullable=True),
        sa.Column("decided_by", sa.String(32), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("source IN ('model', 'header')", name="ck_filing_suggestions_source"),
        sa.CheckConstraint("outcome IS NULL OR outcome IN ('accepted', 'changed', 'ignored')",
                           name="ck_filing_suggestions_outcome"),
    )
    op.create_index("ix_filing_suggestions_document", "filing_suggestions", ["document_id", "field"])
    op.create_index("ix_filing_suggestions_outcome", "filing_suggestions", ["field", "outcome"])


def _create_item_links() -> None:
    op.create_table(
        "item_links",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source_item_id", sa.Integer,
                  sa.ForeignKey("items.id", name="fk_item_links_source_item_id_items", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("target_item_id", sa.Integer,
                  sa.ForeignKey("items.id", name="fk_item_links_target_item_id_items", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("relation", sa.String(12), nullable=False),
        sa.Column("origin", sa.String(8), nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(32), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("source_item_id", "target_item_id", "relation", name="uq_item_links_pair"),
        sa.CheckConstraint("relation IN ('cites', 'replies', 'forwards', 'implements', 'related')",
                           name="ck_item_links_relation"),
        sa.CheckConstraint("origin IN ('auto', 'manual')", name="ck_item_links_origin"),
        sa.CheckConstraint("source_item_id <> target_item_id", name="ck_item_links_not_self"),
    )
    op.create_index("ix_item_links_target", "item_links", ["target_item_id"])


def downgrade() -> None:
    for table in ("item_links", "filing_suggestions", "suggestion_models", "item_keywords"):
        op.drop_table(table)
    op.drop_index("ix_items_doc_number", "items")
