"""Wake the sender when deliveries join the queue (NOTIFY <schema>_deliveries) instead of it polling.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

from shared.db.messaging_ddl import create_insert_notify, drop_insert_notify

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_insert_notify(op, "deliveries")


def downgrade() -> None:
    drop_insert_notify(op, "deliveries")
