"""Capture: scan batches, delivered documents and their pages, agent heartbeats, scan requests, the job queue,
derivatives (OCR text, searchable PDFs).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _moment(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    _create_batches_and_documents()
    _create_agents()
    _create_jobs()


def _create_batches_and_documents() -> None:
    op.create_table(
        "scan_batches",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("agent", sa.String(100), nullable=False),
        sa.Column("origin", sa.String(10), nullable=False),
        sa.Column("device", sa.String(200), nullable=False),
        sa.Column("operator", sa.String(200), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("started_at", sa.String(32), nullable=False),
        _moment("updated_at"),
        sa.Column("report", sa.Text, nullable=False),
        sa.CheckConstraint("state IN ('scanning', 'finished', 'interrupted')", name="ck_scan_batches_state"),
    )
    op.create_table(
        "intake_documents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("document_key", sa.String(64), nullable=False),
        sa.Column("batch_id", sa.String(36),
                  sa.ForeignKey("scan_batches.id", name="fk_intake_documents_batch_id_scan_batches"), nullable=False),
        sa.Column("sequence", sa.Integer, nullable=False),
        sa.Column("cover_payload", sa.String(200), nullable=True),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("items.id", name="fk_intake_documents_item_id_items"),
                  nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("capture", sa.Text, nullable=False),
        _moment("received_at"),
        sa.UniqueConstraint("document_key", name="uq_intake_documents_document_key"),
        sa.CheckConstraint("state IN ('filed', 'new-item', 'intake')", name="ck_intake_documents_state"),
    )
    op.create_index("ix_intake_documents_batch", "intake_documents", ["batch_id", "sequence"])
    op.create_index("ix_intake_documents_state", "intake_documents", ["state", "id"])
    op.create_table(
        "intake_pages",
        sa.Column("document_id", sa.Integer,
                  sa.ForeignKey("intake_documents.id", name="fk_intake_pages_document_id_intake_documents"),
                  primary_key=True),
        sa.Column("sequence", sa.Integer, primary_key=True),
        sa.Column("blob_sha256", sa.String(64), sa.ForeignKey("blobs.sha256", name="fk_intake_pages_blob_sha256_blobs"),
                  nullable=False),
        sa.Column("resolution", sa.Integer, nullable=False),
        sa.Column("colour_mode", sa.String(10), nullable=False),
        sa.Column("side", sa.String(5), nullable=True),
        sa.Column("origin", sa.String(300), nullable=False),
    )


def _create_agents() -> None:
    op.create_table(
        "agent_status",
        sa.Column("agent", sa.String(100), primary_key=True),
        _moment("reported_at"),
        sa.Column("state", sa.Text, nullable=False),
    )
    op.create_table(
        "scan_requests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("agent", sa.String(100), nullable=False),
        sa.Column("device", sa.String(200), nullable=False),
        sa.Column("preset", sa.String(20), nullable=False),
        sa.Column("duplex", sa.Boolean, nullable=False),
        sa.Column("requested_by", sa.String(200), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("batch_id", sa.String(36), nullable=True),
        sa.Column("message", sa.Text, nullable=True),
        _moment("created_at"),
        _moment("updated_at"),
        sa.CheckConstraint("state IN ('pending', 'taken', 'done', 'failed')", name="ck_scan_requests_state"),
    )
    op.create_index("ix_scan_requests_state", "scan_requests", ["state", "id"])


def _create_jobs() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("dedupe_key", sa.String(200), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        _moment("run_after"),
        sa.Column("locked_by", sa.String(100), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        _moment("created_at"),
        _moment("finished_at", nullable=True),
        sa.UniqueConstraint("dedupe_key", name="uq_jobs_dedupe_key"),
        sa.CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name="ck_jobs_state"),
    )
    op.create_index("ix_jobs_state_run_after", "jobs", ["state", "run_after", "id"])
    op.create_table(
        "derivatives",
        sa.Column("source_sha256", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("generator", sa.String(100), primary_key=True),
        sa.Column("blob_sha256", sa.String(64), sa.ForeignKey("blobs.sha256", name="fk_derivatives_blob_sha256_blobs"),
                  nullable=True),
        sa.Column("text", sa.Text, nullable=True),
        _moment("created_at"),
    )


def downgrade() -> None:
    for table in ("derivatives", "jobs", "scan_requests", "agent_status", "intake_pages", "intake_documents",
                  "scan_batches"):
        op.drop_table(table)
