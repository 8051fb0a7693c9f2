"""The trace context a journey started in, so that steps run later by the timers continue that trace.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("journeys", sa.Column("traceparent", sa.Text, nullable=True))


def downgrade() -> None:
    op.drop_column("journeys", "traceparent")
