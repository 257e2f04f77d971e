"""Legal holds, appraisal decisions, destruction lists and their witnesses, physical loans, notifications; items
keep the number of the list that destroyed them, blobs the moment their content was purged, users an e-mail address.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _moment(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _reference(table: str, column: str, target: str, nullable: bool = False) -> sa.Column:
    target_table = target.split(".")[0]
    return sa.Column(column, sa.Integer if not target.endswith("sha256") else sa.String(64),
                     sa.ForeignKey(target, name=f"fk_{table}_{column}_{target_table}"), nullable=nullable)


def upgrade() -> None:
    _holds()
    _appraisal_and_destruction()
    _loans()
    _notifications()
    with op.batch_alter_table("items") as items:
        items.add_column(sa.Column("destruction_list", sa.String(40), nullable=True))
    with op.batch_alter_table("blobs") as blobs:
        blobs.add_column(_moment("purged_at", nullable=True))
    with op.batch_alter_table("users") as users:
        users.add_column(sa.Column("email", sa.String(254), nullable=False, server_default=""))


def _holds() -> None:
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("fonds", sa.String(20), nullable=False),
        _reference("legal_holds", "item_id", "items.id", nullable=True),
        sa.Column("category", sa.String(4), nullable=True),
        sa.Column("year", sa.Integer, nullable=True),
        sa.Column("retention", sa.String(4), nullable=True),
        sa.Column("department", sa.String(3), nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("placed_by", sa.String(200), nullable=False),
        _moment("placed_at"),
        sa.Column("released_by", sa.String(200), nullable=True),
        _moment("released_at", nullable=True),
        sa.Column("release_reason", sa.Text, nullable=False),
    )
    op.create_index("ix_legal_holds_fonds", "legal_holds", ["fonds", "released_at"])


def _appraisal_and_destruction() -> None:
    op.create_table(
        "destruction_lists",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("number", sa.String(40), nullable=False),
        sa.Column("fonds", sa.String(20), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        _reference("destruction_lists", "request_id", "workflow_requests.id"),
        _reference("destruction_lists", "draft_pdf_sha256", "blobs.sha256", nullable=True),
        _reference("destruction_lists", "final_pdf_sha256", "blobs.sha256", nullable=True),
        sa.Column("compiled_by", sa.String(200), nullable=False),
        _moment("compiled_at"),
        _moment("destroyed_at", nullable=True),
        _moment("purged_at", nullable=True),
        sa.UniqueConstraint("number", name="uq_destruction_lists_number"),
        sa.UniqueConstraint("fonds", "year", "sequence", name="uq_destruction_lists_fonds"),
    )
    op.create_table(
        "destruction_witnesses",
        sa.Column("list_id", sa.Integer,
                  sa.ForeignKey("destruction_lists.id", name="fk_destruction_witnesses_list_id_destruction_lists"),
                  primary_key=True, nullable=False),
        sa.Column("username", sa.String(32), primary_key=True, nullable=False),
        _moment("confirmed_at"),
    )
    op.create_table(
        "appraisal_decisions",
        sa.Column("id", sa.Integer, primary_key=True),
        _reference("appraisal_decisions", "item_id", "items.id"),
        sa.Column("round_year", sa.Integer, nullable=False),
        sa.Column("decision", sa.String(8), nullable=False),
        sa.Column("new_retention", sa.String(4), nullable=True),
        sa.Column("review_year", sa.Integer, nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("decided_by", sa.String(200), nullable=False),
        _moment("decided_at"),
        sa.Column("current", sa.Boolean, nullable=False),
        _reference("appraisal_decisions", "list_id", "destruction_lists.id", nullable=True),
        sa.CheckConstraint("decision IN ('keep', 'extend', 'destroy')", name="ck_appraisal_decisions_decision"),
    )
    op.create_index("ix_appraisal_decisions_item", "appraisal_decisions", ["item_id", "current"])
    op.create_index("ix_appraisal_decisions_open", "appraisal_decisions", ["decision", "current", "list_id"])


def _loans() -> None:
    op.create_table(
        "physical_loans",
        sa.Column("id", sa.Integer, primary_key=True),
        _reference("physical_loans", "request_id", "workflow_requests.id"),
        _reference("physical_loans", "item_id", "items.id"),
        sa.Column("borrower", sa.String(32), nullable=False),
        sa.Column("issued_by", sa.String(200), nullable=False),
        _moment("issued_at"),
        _moment("due_at"),
        sa.Column("renewals", sa.Integer, nullable=False),
        _moment("reminded_at", nullable=True),
        _moment("overdue_notified_at", nullable=True),
        _moment("returned_at", nullable=True),
        sa.Column("received_by", sa.String(200), nullable=True),
        sa.Column("pages_counted", sa.Integer, nullable=True),
        sa.Column("return_check", sa.String(16), nullable=True),
        sa.Column("return_note", sa.Text, nullable=False),
        sa.CheckConstraint("return_check IN ('intact', 'pages_missing', 'altered')",
                           name="ck_physical_loans_return_check"),
    )
    op.create_index("ix_physical_loans_open", "physical_loans", ["returned_at", "due_at"])
    op.create_index("ix_physical_loans_borrower", "physical_loans", ["borrower", "id"])
    op.create_index("ix_physical_loans_item", "physical_loans", ["item_id", "returned_at"])


def _notifications() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("link", sa.String(300), nullable=False),
        _moment("created_at"),
        _moment("read_at", nullable=True),
        sa.Column("mail_state", sa.String(8), nullable=False),
        sa.Column("mail_attempts", sa.Integer, nullable=False),
        sa.Column("mail_error", sa.Text, nullable=True),
        sa.CheckConstraint("mail_state IN ('none', 'pending', 'sent', 'failed')", name="ck_notifications_mail_state"),
    )
    op.create_index("ix_notifications_user", "notifications", ["username", "read_at", "id"])
    op.create_index("ix_notifications_mail", "notifications", ["mail_state", "id"])


def downgrade() -> None:
    with op.batch_alter_table("users") as users:
        users.drop_column("email")
    with op.batch_alter_table("blobs") as blobs:
        blobs.drop_column("purged_at")
    with op.batch_alter_table("items") as items:
        items.drop_column("destruction_list")
    for table in ("notifications", "physical_loans", "appraisal_decisions", "destruction_witnesses",
                  "destruction_lists", "legal_holds"):
        op.drop_table(table)
