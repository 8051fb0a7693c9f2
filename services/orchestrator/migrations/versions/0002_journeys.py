"""Journeys, their steps and timeline, reactivations, the audit log.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "journeys",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("subscription_id", sa.Text, nullable=False),
        sa.Column("customer_id", sa.Text, nullable=False),
        sa.Column("email_hash", sa.Text, nullable=True),
        sa.Column("template", sa.Text, nullable=False),
        sa.Column("template_version", sa.Integer, nullable=False),
        sa.Column("segment", sa.Text, nullable=False),
        sa.Column("initiated_by", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("cancelled_at", TZ, nullable=False),
        sa.Column("effective_at", TZ, nullable=False),
        sa.Column("ended_at", TZ, nullable=True),
        sa.Column("erased_at", TZ, nullable=True),
        sa.Column("next_due_at", TZ, nullable=True),
        sa.Column("facts", JSONB, nullable=False),
        sa.Column("survey", JSONB, nullable=True),
        sa.Column("event_source", sa.Text, nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_journeys"),
    )
    op.create_index(
        "uq_journeys_one_open_per_subscription",
        "journeys",
        ["subscription_id"],
        unique=True,
        postgresql_where=sa.text("status IN ('active', 'paused')"),
    )
    op.create_index("ix_journeys_subscription", "journeys", ["subscription_id", "started_at"])
    op.create_index("ix_journeys_customer", "journeys", ["customer_id", "started_at"])
    op.create_index(
        "ix_journeys_email_hash", "journeys", ["email_hash"], postgresql_where=sa.text("email_hash IS NOT NULL")
    )
    op.create_index("ix_journeys_newest", "journeys", ["started_at", "id"])
    op.create_index("ix_journeys_status", "journeys", ["status", "started_at", "id"])
    op.create_index("ix_journeys_template", "journeys", ["template", "started_at", "id"])
    op.create_index(
        "ix_journeys_due",
        "journeys",
        ["next_due_at"],
        postgresql_where=sa.text("status IN ('active', 'cancelled') AND next_due_at IS NOT NULL"),
    )
    op.create_table(
        "journey_steps",
        sa.Column("journey_id", UUID(as_uuid=True), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("spec", JSONB, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("due_at", TZ, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("completed_at", TZ, nullable=True),
        sa.Column("dispatched_at", TZ, nullable=True),
        sa.Column("command_id", sa.Text, nullable=True),
        sa.Column("result", JSONB, nullable=False),
        sa.PrimaryKeyConstraint("journey_id", "name", name="pk_journey_steps"),
        sa.ForeignKeyConstraint(
            ["journey_id"], ["journeys.id"], name="fk_journey_steps_journey_id_journeys", ondelete="CASCADE"
        ),
    )
    op.create_table(
        "journey_timeline",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), nullable=False),
        sa.Column("journey_id", UUID(as_uuid=True), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("what", sa.Text, nullable=False),
        sa.Column("details", JSONB, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_journey_timeline"),
        sa.ForeignKeyConstraint(
            ["journey_id"], ["journeys.id"], name="fk_journey_timeline_journey_id_journeys", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_journey_timeline_journey", "journey_timeline", ["journey_id", "id"])
    op.create_table(
        "reactivations",
        sa.Column("event_source", sa.Text, nullable=False),
        sa.Column("event_id", sa.Text, nullable=False),
        sa.Column("subscription_id", sa.Text, nullable=False),
        sa.Column("reactivated_at", TZ, nullable=False),
        sa.Column("received_at", TZ, nullable=False, server_default=sa.func.now()),
        sa.PrimaryKeyConstraint("event_source", "event_id", name="pk_reactivations"),
    )
    op.create_index("ix_reactivations_subscription", "reactivations", ["subscription_id", "reactivated_at"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger, sa.Identity(always=True), nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("role", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("journey_id", UUID(as_uuid=True), nullable=False),
        sa.Column("step", sa.Text, nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_log"),
    )
    op.create_index("ix_audit_log_journey", "audit_log", ["journey_id", "at"])


def downgrade() -> None:
    for table in ("audit_log", "reactivations", "journey_timeline", "journey_steps", "journeys"):
        op.drop_table(table)
