"""What experiment insights read: the experiment whose split assigned a journey's variant, and unsubscribes.

`journeys.experiment` is null when no split chose the variant (no experiment, or one ended with a winner), so
the insights count only journeys that the split assigned. Journeys from before this revision have it null.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("journeys", sa.Column("experiment", sa.Text, nullable=True))
    op.create_index(
        "ix_journeys_experiment",
        "journeys",
        ["experiment", "started_at"],
        postgresql_where=sa.text("experiment IS NOT NULL"),
    )
    op.create_table(
        "unsubscribes",
        sa.Column("journey_id", sa.UUID, sa.ForeignKey("journeys.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("unsubscribes")
    op.drop_index("ix_journeys_experiment", table_name="journeys")
    op.drop_column("journeys", "experiment")
