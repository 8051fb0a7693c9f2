"""A key per journey for the personal data in its commands on Kafka (shared.sealing): deleted on erasure, so
the copies still on the topics can no longer be read. The notifier reads this table (grant it SELECT).

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "journey_keys",
        sa.Column("journey_id", sa.UUID, primary_key=True),
        sa.Column("key", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    )


def downgrade() -> None:
    op.drop_table("journey_keys")
