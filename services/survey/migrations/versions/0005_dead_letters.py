"""A record of dead letters, for support's attention list.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

from shared.db.messaging_ddl import create_dead_letters, drop_dead_letters

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_dead_letters(op)


def downgrade() -> None:
    drop_dead_letters(op)
