"""Accounts: users, their roles, and the hashes of their recent passwords.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Frozen here on purpose: a later role gets its own migration that widens the check.
ROLES = ("system_admin", "security_admin", "audit_admin", "archivist", "approver", "reader", "operator")


def _moment(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _user_id(table: str, primary_key: bool = False) -> sa.Column:
    return sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", name=f"fk_{table}_user_id_users"),
                     primary_key=primary_key, nullable=False)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(32), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        _moment("password_changed_at"),
        sa.Column("must_change_password", sa.Boolean, nullable=False),
        sa.Column("failed_logins", sa.Integer, nullable=False),
        _moment("locked_until", nullable=True),
        sa.Column("disabled", sa.Boolean, nullable=False),
        _moment("created_at"),
        sa.UniqueConstraint("username", name="uq_users_username"),
    )
    op.create_table(
        "user_roles",
        _user_id("user_roles", primary_key=True),
        sa.Column("role", sa.String(20), primary_key=True),
        sa.CheckConstraint(f"role IN {ROLES!r}", name="ck_user_roles_role"),
    )
    op.create_table(
        "password_history",
        sa.Column("id", sa.Integer, primary_key=True),
        _user_id("password_history"),
        sa.Column("hash", sa.String(200), nullable=False),
        _moment("changed_at"),
    )
    op.create_index("ix_password_history_user", "password_history", ["user_id", "id"])


def downgrade() -> None:
    for table in ("password_history", "user_roles", "users"):
        op.drop_table(table)
