"""Delivery feedback: what came back about each email (bounces, complaints, the server's refusal at send time),
written once per delivery, kind and source; who lifted a suppression and why; marketing paused by the reputation guard and resumed; suppressions get a scope (an unsubscribe: marketing; a hard bounce
or a complaint: all) and the delivery that caused them; deliveries show their latest feedback. Additive only:
a notifier of the previous version keeps working against it during a rolling update.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None
TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("suppressions", sa.Column("scope", sa.Text, nullable=False, server_default="marketing"))
    op.add_column("suppressions", sa.Column("delivery_id", sa.BigInteger, nullable=True))
    op.add_column("deliveries", sa.Column("feedback_kind", sa.Text, nullable=True))
    op.add_column("deliveries", sa.Column("feedback_code", sa.Text, nullable=True))
    op.create_table(
        "delivery_feedback",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("delivery_id", sa.BigInteger, nullable=False),
        sa.Column("recipient_hash", sa.Text, nullable=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("reason_code", sa.Text, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("occurred_at", TZ, nullable=False),
        sa.Column("received_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.UniqueConstraint("delivery_id", "kind", "source", name="uq_delivery_feedback_once"),
    )
    op.create_index("ix_delivery_feedback_address", "delivery_feedback", ["recipient_hash", "kind"])
    op.create_table(
        "sending_pauses",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("stream", sa.Text, nullable=False),
        sa.Column("paused_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("resumed_at", TZ, nullable=True),
        sa.Column("resumed_by", sa.Text, nullable=True),
        sa.Column("resume_reason", sa.Text, nullable=True),
    )
    op.create_index(
        "uq_sending_pauses_open",
        "sending_pauses",
        ["stream"],
        unique=True,
        postgresql_where=sa.text("resumed_at IS NULL"),
    )
    op.create_table(
        "suppression_audit",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("at", TZ, nullable=False, server_default=sa.func.now()),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("recipient_hash", sa.Text, nullable=False),
        sa.Column("scope", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("suppression_audit")
    op.drop_table("sending_pauses")
    op.drop_table("delivery_feedback")
    op.drop_column("deliveries", "feedback_code")
    op.drop_column("deliveries", "feedback_kind")
    op.drop_column("suppressions", "delivery_id")
    op.drop_column("suppressions", "scope")
