"""Wake the outbox relay on insert (NOTIFY) instead of polling.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

from shared.db.messaging_ddl import create_outbox_notify, drop_outbox_notify

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_notify(op)


def downgrade() -> None:
    drop_outbox_notify(op)
