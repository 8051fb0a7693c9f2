"""The outbox and inbox tables.

Revision ID: 0001
Revises:
"""

from alembic import op

from shared.db.messaging_ddl import create_outbox_and_inbox, drop_outbox_and_inbox

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_outbox_and_inbox(op)


def downgrade() -> None:
    drop_outbox_and_inbox(op)
