"""The inbox keeps a fingerprint of each event (conflicting duplicates are dead-lettered).

Revision ID: 0004
Revises: 0003
"""

from alembic import op

from shared.db.messaging_ddl import add_inbox_fingerprint, drop_inbox_fingerprint

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_inbox_fingerprint(op)


def downgrade() -> None:
    drop_inbox_fingerprint(op)
