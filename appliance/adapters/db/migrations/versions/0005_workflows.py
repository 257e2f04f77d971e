"""Workflows: requests with their chain of approvals, the items they concern, every decision, viewing grants.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _moment(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def _request_id(table: str, primary_key: bool = False) -> sa.Column:
    return sa.Column("request_id", sa.Integer,
                     sa.ForeignKey("workflow_requests.id", name=f"fk_{table}_request_id_workflow_requests"),
                     primary_key=primary_key, nullable=False)


def upgrade() -> None:
    op.create_table(
        "workflow_requests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("tier", sa.Integer, nullable=False),
        sa.Column("chain", sa.Text, nullable=False),
        sa.Column("requester", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("report", sa.Text, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        _moment("created_at"),
        _moment("updated_at"),
        sa.CheckConstraint("state IN ('pending', 'approved', 'rejected', 'withdrawn')",
                           name="ck_workflow_requests_state"),
    )
    op.create_index("ix_workflow_requests_state", "workflow_requests", ["state", "kind", "id"])
    op.create_table(
        "workflow_request_items",
        _request_id("workflow_request_items", primary_key=True),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("items.id", name="fk_workflow_request_items_item_id_items"),
                  primary_key=True, nullable=False),
    )
    op.create_table(
        "workflow_steps",
        sa.Column("id", sa.Integer, primary_key=True),
        _request_id("workflow_steps"),
        sa.Column("tier", sa.Integer, nullable=False),
        sa.Column("decision", sa.String(10), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        _moment("decided_at"),
    )
    op.create_index("ix_workflow_steps_request", "workflow_steps", ["request_id", "id"])
    op.create_table(
        "viewing_grants",
        sa.Column("id", sa.Integer, primary_key=True),
        _request_id("viewing_grants"),
        sa.Column("username", sa.String(32), nullable=False),
        sa.Column("item_id", sa.Integer, sa.ForeignKey("items.id", name="fk_viewing_grants_item_id_items"),
                  nullable=False),
        sa.Column("may_download", sa.Boolean, nullable=False),
        sa.Column("may_print", sa.Boolean, nullable=False),
        _moment("granted_at"),
        _moment("expires_at"),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_viewing_grants_user_item", "viewing_grants", ["username", "item_id", "expires_at"])


def downgrade() -> None:
    for table in ("viewing_grants", "workflow_steps", "workflow_request_items", "workflow_requests"):
        op.drop_table(table)
