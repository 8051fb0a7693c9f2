"""The leaving customer's own page: what it shows of each journey (as the orchestrator last told), the help
requests sent from it, and what was done on it (visits, clicks, per journey: counts, no more). Additive only.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "customer_pages",
        sa.Column("journey_id", sa.Text, primary_key=True),
        sa.Column("token_hash", sa.Text, nullable=True, unique=True),
        sa.Column("subscription_id", sa.Text, nullable=False),
        sa.Column("customer_id", sa.Text, nullable=False),
        sa.Column("segment", sa.Text, nullable=False),
        sa.Column("template", sa.Text, nullable=False),
        sa.Column("variant", sa.Text, nullable=True),
        sa.Column("initiated_by", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("plan", sa.Text, nullable=True),
        sa.Column("locale", sa.Text, nullable=False),
        sa.Column("timezone", sa.Text, nullable=False),
        sa.Column("cancelled_at", TZ, nullable=False),
        sa.Column("effective_at", TZ, nullable=False),
        sa.Column("deletion_at", TZ, nullable=True),
        sa.Column("reactivated_at", TZ, nullable=True),
        sa.Column("ended_at", TZ, nullable=True),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("account_manager", sa.Text, nullable=True),
        sa.Column("erased_at", TZ, nullable=True),
        sa.Column("valid_until", TZ, nullable=False),
    )
    op.create_table(
        "page_help_requests",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("journey_id", sa.Text, nullable=False),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("message", sa.Text, nullable=True),
        sa.Column("reach_by", sa.Text, nullable=False),
        sa.Column("phone", sa.Text, nullable=True),
        sa.Column("requested_at", TZ, nullable=False),
        sa.Column("erased_at", TZ, nullable=True),
    )
    op.create_index("ix_page_help_requests_journey", "page_help_requests", ["journey_id", "requested_at"])
    op.create_table(
        "page_activity",
        sa.Column("journey_id", sa.Text, primary_key=True),
        sa.Column("what", sa.Text, primary_key=True),
        sa.Column("template", sa.Text, nullable=False),
        sa.Column("variant", sa.Text, nullable=True),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("first_at", TZ, nullable=False),
        sa.Column("last_at", TZ, nullable=False),
    )
    op.create_index("ix_page_activity_first", "page_activity", ["first_at"])


def downgrade() -> None:
    op.drop_table("page_activity")
    op.drop_table("page_help_requests")
    op.drop_table("customer_pages")
