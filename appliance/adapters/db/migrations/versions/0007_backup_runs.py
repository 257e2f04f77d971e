"""Backups: every run of a backup, prune, check or restore drill, with its progress, figures and outcome.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "backup_runs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(12), nullable=False),
        sa.Column("repository", sa.String(12), nullable=False),
        sa.Column("archive", sa.String(200), nullable=True),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("trigger", sa.String(12), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("progress", sa.Text, nullable=False),
        sa.Column("stats", sa.Text, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.CheckConstraint("kind IN ('backup', 'prune', 'check', 'verify', 'drill')", name="ck_backup_runs_kind"),
        sa.CheckConstraint("state IN ('running', 'ok', 'warning', 'failed')", name="ck_backup_runs_state"),
    )
    op.create_index("ix_backup_runs_kind", "backup_runs", ["kind", "id"])


def downgrade() -> None:
    op.drop_table("backup_runs")
