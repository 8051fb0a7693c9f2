"""The timer also looks at journeys that ended (completed, failed): a help request from the customer's page is
answered by steps that run whatever the journey's status, and a failed attempt of one is retried by the timer.
Ended journeys have nothing due otherwise, so the partial index stays as small as before.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_journeys_due", table_name="journeys")
    op.create_index(
        "ix_journeys_due",
        "journeys",
        ["next_due_at"],
        postgresql_where=sa.text(
            "status IN ('active', 'cancelled', 'completed', 'failed') AND next_due_at IS NOT NULL"
        ),
    )


def downgrade() -> None:
    op.drop_index("ix_journeys_due", table_name="journeys")
    op.create_index(
        "ix_journeys_due",
        "journeys",
        ["next_due_at"],
        postgresql_where=sa.text("status IN ('active', 'cancelled') AND next_due_at IS NOT NULL"),
    )
