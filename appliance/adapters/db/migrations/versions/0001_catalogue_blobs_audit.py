"""Catalogue, blob store index and the audit chain.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

APPEND_ONLY_MESSAGE = "audit events are append-only"
GENESIS_HASH = "0" * 64


def upgrade() -> None:
    _create_catalogue()
    _create_blobs()
    _create_audit()
    _seed()


def _timestamps() -> list[sa.Column]:
    return [sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)]


def _create_catalogue() -> None:
    op.create_table(
        "fonds",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(4), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("scheme", sa.String(40), nullable=False),
        *_timestamps(),
        sa.UniqueConstraint("code", name="uq_fonds_code"),
    )
    op.create_table(
        "categories",
        sa.Column("code", sa.String(4), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
    )
    op.create_table(
        "departments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("fonds_id", sa.Integer, sa.ForeignKey("fonds.id", name="fk_departments_fonds_id_fonds"),
                  nullable=False),
        sa.Column("code", sa.String(3), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.UniqueConstraint("fonds_id", "code", name="uq_departments_fonds_code"),
    )
    op.create_table(
        "class_counters",
        sa.Column("fonds_id", sa.Integer, sa.ForeignKey("fonds.id", name="fk_class_counters_fonds_id_fonds"),
                  primary_key=True),
        sa.Column("category", sa.String(4), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("retention", sa.String(4), primary_key=True),
        sa.Column("department", sa.String(3), primary_key=True),
        sa.Column("last_number", sa.Integer, nullable=False),
    )
    _create_items()


def _create_items() -> None:
    op.create_table(
        "items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("fonds_id", sa.Integer, sa.ForeignKey("fonds.id", name="fk_items_fonds_id_fonds"), nullable=False),
        sa.Column("category", sa.String(4), sa.ForeignKey("categories.code", name="fk_items_category_categories"),
                  nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("retention", sa.String(4), nullable=False),
        sa.Column("department", sa.String(3), nullable=False),
        sa.Column("item_number", sa.Integer, nullable=False),
        sa.Column("archival_code", sa.String(40), nullable=False),
        sa.Column("doc_number", sa.String(100), nullable=False),
        sa.Column("responsible", sa.String(300), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("supplied_title", sa.Boolean, nullable=False),
        sa.Column("date", sa.String(8), nullable=False),
        sa.Column("access_label", sa.String(8), nullable=False),
        sa.Column("pages", sa.Integer, nullable=False),
        sa.Column("notes", sa.Text, nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        *_timestamps(),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("archival_code", name="uq_items_archival_code"),
        sa.CheckConstraint("state IN ('intake', 'archived', 'destroyed')", name="ck_items_state"),
        sa.CheckConstraint("pages >= 0", name="ck_items_pages"),
    )
    op.create_index(
        "ix_items_class_number",
        "items",
        ["fonds_id", "year", "retention", "category", "department", "item_number"],
        unique=True,
    )


def _create_blobs() -> None:
    op.create_table(
        "blobs",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("sm3", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        *_timestamps(),
    )
    op.create_table(
        "item_pages",
        sa.Column("item_id", sa.Integer, sa.ForeignKey("items.id", name="fk_item_pages_item_id_items"),
                  primary_key=True),
        sa.Column("sequence", sa.Integer, primary_key=True),
        sa.Column("blob_sha256", sa.String(64),
                  sa.ForeignKey("blobs.sha256", name="fk_item_pages_blob_sha256_blobs"), nullable=False),
    )


def _create_audit() -> None:
    op.create_table(
        "audit_events",
        sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("occurred_at", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("action", sa.String(100), nullable=False),
        sa.Column("object_type", sa.String(50), nullable=False),
        sa.Column("object_id", sa.String(200), nullable=False),
        sa.Column("result", sa.String(20), nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_events_object", "audit_events", ["object_type", "object_id", "seq"])
    op.create_index("ix_audit_events_occurred_at", "audit_events", ["occurred_at"])
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        _refuse_audit_changes_postgresql()
    else:
        _refuse_audit_changes_sqlite()


def _refuse_audit_changes_sqlite() -> None:
    for verb in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER audit_events_refuse_{verb.lower()} BEFORE {verb} ON audit_events "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
        )


def _refuse_audit_changes_postgresql() -> None:
    op.execute(
        "CREATE FUNCTION audit_events_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_events_refuse_change BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_refuse_change()"
    )
    op.execute(
        "CREATE TRIGGER audit_events_refuse_truncate BEFORE TRUNCATE ON audit_events "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_change()"
    )


def _seed() -> None:
    categories = sa.table("categories", sa.column("code"), sa.column("name"))
    op.bulk_insert(categories, [{"code": "WS", "name": "文书"}])
    head = sa.table("audit_head", sa.column("id"), sa.column("seq"), sa.column("hash"))
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS_HASH}])


def downgrade() -> None:
    raise NotImplementedError("Dangan does not downgrade: restore the snapshot taken before the upgrade")
