"""Narrow the crash window of a send: `claims` counts a delivery's claims (a claim is the lease its process
holds), and `handed_over_at` records the moment just before the message's end of data was sent. A delivery
left `sending` without it was never accepted by the mail server and is queued again; one with it may have been.

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
    op.add_column("deliveries", sa.Column("claims", sa.Integer, nullable=False, server_default="0"))
    op.add_column("deliveries", sa.Column("handed_over_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column("deliveries", "handed_over_at")
    op.drop_column("deliveries", "claims")
