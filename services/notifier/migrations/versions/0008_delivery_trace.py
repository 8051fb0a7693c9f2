"""The trace context of the command that queued a delivery, so that its send continues that trace.

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
    op.add_column("deliveries", sa.Column("traceparent", sa.Text, nullable=True))


def downgrade() -> None:
    op.drop_column("deliveries", "traceparent")
