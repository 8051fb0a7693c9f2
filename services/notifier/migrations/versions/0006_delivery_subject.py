"""Deliveries keep the subject of the email that went out (support's console shows it).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("deliveries", sa.Column("subject", sa.Text, nullable=True))


def downgrade() -> None:
    op.drop_column("deliveries", "subject")
