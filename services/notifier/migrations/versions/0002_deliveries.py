"""Deliveries (send queue and log), suppressions, unsubscribe tokens.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), nullable=False),
        sa.Column("command_id", sa.Text, nullable=False),
        sa.Column("journey_id", sa.Text, nullable=False),
        sa.Column("subscription_id", sa.Text, nullable=False),
        sa.Column("customer_id", sa.Text, nullable=False),
        sa.Column("step", sa.Text, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("channel", sa.Text, nullable=False),
        sa.Column("category", sa.Text, nullable=False),
        sa.Column("segment", sa.Text, nullable=False),
        sa.Column("marketing_consent", sa.Boolean, nullable=False),
        sa.Column("recipient", JSONB, nullable=True),
        sa.Column("recipient_hash", sa.Text, nullable=True),
        sa.Column("facts", JSONB, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("provider_message_id", sa.Text, nullable=True),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.Column("claimed_at", TZ, nullable=True),
        sa.Column("sent_at", TZ, nullable=True),
        sa.Column("updated_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("id", name="pk_deliveries"),
        sa.UniqueConstraint("command_id", name="uq_deliveries_command_id"),
    )
    op.create_index("ix_deliveries_queue", "deliveries", ["id"], postgresql_where=sa.text("status = 'queued'"))
    op.create_index(
        "ix_deliveries_sending", "deliveries", ["claimed_at"], postgresql_where=sa.text("status = 'sending'")
    )
    op.create_index("ix_deliveries_journey", "deliveries", ["journey_id", "step"])
    op.create_index(
        "ix_deliveries_marketing",
        "deliveries",
        ["recipient_hash", "sent_at"],
        postgresql_where=sa.text("category = 'marketing' AND status = 'sent'"),
    )
    op.create_table(
        "suppressions",
        sa.Column("recipient_hash", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("recipient_hash", name="pk_suppressions"),
    )
    op.create_table(
        "unsubscribe_tokens",
        sa.Column("token_hash", sa.Text, nullable=False),
        sa.Column("recipient_hash", sa.Text, nullable=False),
        sa.Column("journey_id", sa.Text, nullable=False),
        sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.Column("used_at", TZ, nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name="pk_unsubscribe_tokens"),
    )
    op.create_index("ix_unsubscribe_tokens_journey", "unsubscribe_tokens", ["journey_id"])


def downgrade() -> None:
    for table in ("unsubscribe_tokens", "suppressions", "deliveries"):
        op.drop_table(table)
