"""What came back about a journey's emails (bounces, complaints), as the notifier tells it: for the journey's
timeline and the console's attention list. Additive only.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "email_feedback",
        sa.Column("journey_id", UUID(as_uuid=True), sa.ForeignKey("journeys.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("step", sa.Text, primary_key=True),
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("source", sa.Text, primary_key=True),
        sa.Column("reason_code", sa.Text, nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_email_feedback_unreachable",
        "email_feedback",
        ["occurred_at"],
        postgresql_where=sa.text("kind <> 'soft'"),
    )


def downgrade() -> None:
    op.drop_table("email_feedback")
