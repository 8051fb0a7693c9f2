"""Contact preferences on the customer's page: the preference the page shows (as the orchestrator last told, or as
the customer just chose) and every choice made there, kept as a consent record (which journey, yes or no, where,
when: nothing personal, so it outlives the journey's erasure as the proof it is). Additive only.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "customer_pages", sa.Column("marketing_consent", sa.Boolean, nullable=False, server_default=sa.false())
    )
    op.create_table(
        "page_consents",
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("journey_id", sa.Text, nullable=False),
        sa.Column("marketing_consent", sa.Boolean, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_page_consents_journey", "page_consents", ["journey_id", "recorded_at"])


def downgrade() -> None:
    op.drop_table("page_consents")
    op.drop_column("customer_pages", "marketing_consent")
