"""Surveys and answers keep the journey's template (insights per template).

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
    op.add_column("surveys", sa.Column("template", sa.Text, nullable=True))
    op.add_column("answers", sa.Column("template", sa.Text, nullable=True))


def downgrade() -> None:
    op.drop_column("answers", "template")
    op.drop_column("surveys", "template")
