"""The experiment variant a journey got (null: its template had no experiment).

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("journeys", sa.Column("variant", sa.Text, nullable=True))


def downgrade() -> None:
    op.drop_column("journeys", "variant")
