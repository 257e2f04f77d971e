"""The console: clearance, department scope and TOTP of users; web sessions; login throttling; API tokens;
intake documents that review merged into others; indexes for the audit page's filters.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _moment(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _user_id(table: str, primary_key: bool = False) -> sa.Column:
    return sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", name=f"fk_{table}_user_id_users"),
                     primary_key=primary_key, nullable=False)


def upgrade() -> None:
    with op.batch_alter_table("intake_documents") as batch:  # SQLite changes a CHECK by rebuilding the table
        batch.drop_constraint("ck_intake_documents_state", type_="check")
        batch.create_check_constraint("state", "state IN ('filed', 'new-item', 'intake', 'merged')")
    op.add_column("users", sa.Column("clearance", sa.String(4), nullable=False, server_default="公开"))
    op.add_column("users", sa.Column("totp_secret", sa.String(200), nullable=True))
    op.add_column("users", sa.Column("totp_pending", sa.String(200), nullable=True))
    op.add_column("users", sa.Column("totp_last_step", sa.BigInteger, nullable=True))
    op.create_table(
        "user_departments",
        _user_id("user_departments", primary_key=True),
        sa.Column("department", sa.String(3), primary_key=True),
    )
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_digest", sa.String(64), nullable=False),
        _user_id("web_sessions"),
        sa.Column("source", sa.String(64), nullable=False),
        _moment("created_at"),
        _moment("last_seen_at"),
        _moment("ended_at", nullable=True),
        sa.Column("end_reason", sa.String(20), nullable=True),
        sa.UniqueConstraint("token_digest", name="uq_web_sessions_token_digest"),
    )
    op.create_index("ix_web_sessions_user", "web_sessions", ["user_id"])
    op.create_table(
        "login_throttle",
        sa.Column("source", sa.String(64), primary_key=True),
        _moment("window_start"),
        sa.Column("attempts", sa.Integer, nullable=False),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_digest", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(12), nullable=False),
        _user_id("api_tokens"),
        sa.Column("scopes", sa.Text, nullable=False),
        _moment("created_at"),
        _moment("expires_at", nullable=True),
        _moment("last_used_at", nullable=True),
        _moment("revoked_at", nullable=True),
        sa.UniqueConstraint("token_digest", name="uq_api_tokens_token_digest"),
    )


    op.create_index("ix_audit_events_actor", "audit_events", ["actor", "seq"])
    op.create_index("ix_audit_events_source", "audit_events", ["source", "seq"])
    op.create_index("ix_audit_events_action", "audit_events", ["action", "seq"],
                    postgresql_ops={"action": "varchar_pattern_ops"})


def downgrade() -> None:
    for index in ("ix_audit_events_action", "ix_audit_events_source", "ix_audit_events_actor"):
        op.drop_index(index, table_name="audit_events")
    for table in ("api_tokens", "login_throttle", "web_sessions", "user_departments"):
        op.drop_table(table)
    with op.batch_alter_table("users") as batch:
        for column in ("totp_last_step", "totp_pending", "totp_secret", "clearance"):
            batch.drop_column(column)
    with op.batch_alter_table("intake_documents") as batch:
        batch.drop_constraint("ck_intake_documents_state", type_="check")
        batch.create_check_constraint("state", "state IN ('filed', 'new-item', 'intake')")
