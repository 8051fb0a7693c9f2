"""The orchestrator's tables: journeys, their steps and timeline, reactivations, the operators' audit log,
plus the shared outbox and inbox."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID

from shared.db.engine import metadata
from shared.inbox.table import inbox
from shared.messaging.dead_letters import dead_letters
from shared.outbox.table import outbox

OPEN_STATUSES = "status IN ('active', 'paused')"

journeys = sa.Table(
    "journeys",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("subscription_id", sa.Text, nullable=False),
    sa.Column("customer_id", sa.Text, nullable=False),
    # sha256 of the lower-cased address: lets support search by email without a plain-text index.
    sa.Column("email_hash", sa.Text, nullable=True),
    sa.Column("template", sa.Text, nullable=False),
    sa.Column("template_version", sa.Integer, nullable=False),
    sa.Column("variant", sa.Text, nullable=True),  # the experiment variant (migration 0007)
    sa.Column("experiment", sa.Text, nullable=True),  # the experiment whose split chose the variant (0008)
    sa.Column("traceparent", sa.Text, nullable=True),  # W3C trace context it started in, for later steps (0009)
    sa.Column("segment", sa.Text, nullable=False),
    sa.Column("initiated_by", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("effective_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("facts", JSONB, nullable=False),
    sa.Column("survey", JSONB, nullable=True),
    sa.Column("event_source", sa.Text, nullable=False),
    sa.Column("event_id", sa.Text, nullable=False),
    sa.Index(
        "uq_journeys_one_open_per_subscription", "subscription_id", unique=True, postgresql_where=sa.text(OPEN_STATUSES)
    ),
    sa.Index("ix_journeys_subscription", "subscription_id", "started_at"),
    sa.Index("ix_journeys_customer", "customer_id", "started_at"),
    sa.Index("ix_journeys_email_hash", "email_hash", postgresql_where=sa.text("email_hash IS NOT NULL")),
    sa.Index("ix_journeys_newest", "started_at", "id"),
    sa.Index("ix_journeys_status", "status", "started_at", "id"),
    sa.Index("ix_journeys_template", "template", "started_at", "id"),
    sa.Index("ix_journeys_experiment", "experiment", "started_at", postgresql_where=sa.text("experiment IS NOT NULL")),
    sa.Index(
        "ix_journeys_due",
        "next_due_at",
        postgresql_where=sa.text(
            "status IN ('active', 'cancelled', 'completed', 'failed') AND next_due_at IS NOT NULL"
        ),
    ),
)

journey_steps = sa.Table(
    "journey_steps",
    metadata,
    sa.Column("journey_id", UUID(as_uuid=True), sa.ForeignKey("journeys.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("position", sa.Integer, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("spec", JSONB, nullable=False),  # the template's step as the journey started with it
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("command_id", sa.Text, nullable=True),
    sa.Column("result", JSONB, nullable=False),
    sa.Index("ix_journey_steps_failed", "completed_at", postgresql_where=sa.text("status = 'failed'")),
)

journey_timeline = sa.Table(
    "journey_timeline",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
    sa.Column("journey_id", UUID(as_uuid=True), sa.ForeignKey("journeys.id", ondelete="CASCADE"), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("what", sa.Text, nullable=False),
    sa.Column("details", JSONB, nullable=False),
    sa.Index("ix_journey_timeline_journey", "journey_id", "id"),
)

# Reactivations are kept so that a cancellation arriving after its reactivation is recognised.
reactivations = sa.Table(
    "reactivations",
    metadata,
    sa.Column("event_source", sa.Text, primary_key=True),
    sa.Column("event_id", sa.Text, primary_key=True),
    sa.Column("subscription_id", sa.Text, nullable=False),
    sa.Column("reactivated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Index("ix_reactivations_subscription", "subscription_id", "reactivated_at"),
)

# The customer used a marketing message's unsubscribe link (the notifier tells): read by experiment insights.
unsubscribes = sa.Table(
    "unsubscribes",
    metadata,
    sa.Column("journey_id", UUID(as_uuid=True), sa.ForeignKey("journeys.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("unsubscribed_at", sa.DateTime(timezone=True), nullable=False),
)

# What came back about a journey's emails (the notifier tells: bounces, complaints), once per step, kind and
# source: the journey's timeline shows it, and unreachable customers are on the console's attention list.
email_feedback = sa.Table(
    "email_feedback",
    metadata,
    sa.Column("journey_id", UUID(as_uuid=True), sa.ForeignKey("journeys.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("step", sa.Text, primary_key=True),
    sa.Column("kind", sa.Text, primary_key=True),  # hard | soft | complaint
    sa.Column("source", sa.Text, primary_key=True),
    sa.Column("reason_code", sa.Text, nullable=False),
    sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_email_feedback_unreachable", "occurred_at", postgresql_where=sa.text("kind <> 'soft'")),
)

# The customer asked for help on their own page (the survey service tells; what they wrote stays there): on the
# journey's timeline and the console's attention list.
help_requests = sa.Table(
    "help_requests",
    metadata,
    sa.Column("request_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("journey_id", UUID(as_uuid=True), sa.ForeignKey("journeys.id", ondelete="CASCADE"), nullable=False),
    sa.Column("topic", sa.Text, nullable=False),
    sa.Column("reach_by", sa.Text, nullable=False),
    sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_help_requests_requested", "requested_at"),
)

# Two keys per journey (shared.keyring): `key` seals the personal data in its commands on Kafka and is deleted
# (NULL) on erasure; `mac_key` signs every internal message about the journey and stays. No foreign key: the
# notifier and the survey service read this table too (their database roles may SELECT it, nothing else here).
journey_keys = sa.Table(
    "journey_keys",
    metadata,
    sa.Column("journey_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("key", sa.LargeBinary, nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("mac_key", sa.LargeBinary, nullable=False),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("actor", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("journey_id", UUID(as_uuid=True), nullable=False),
    sa.Column("step", sa.Text, nullable=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Index("ix_audit_log_journey", "journey_id", "at"),
    sa.Index("ix_audit_log_actor", "actor", "id"),
)

__all__ = [
    "audit_log",
    "dead_letters",
    "email_feedback",
    "help_requests",
    "inbox",
    "journey_keys",
    "journey_steps",
    "journey_timeline",
    "journeys",
    "metadata",
    "outbox",
    "reactivations",
    "unsubscribes",
]
