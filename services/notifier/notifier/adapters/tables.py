"""The notifier's tables: deliveries (the send queue and the delivery log in one), the suppression list,
unsubscribe tokens, what came back about each email (delivery feedback), plus the shared outbox and inbox."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from shared.db.engine import metadata
from shared.inbox.table import inbox
from shared.messaging.dead_letters import dead_letters
from shared.outbox.table import outbox

TZ = sa.DateTime(timezone=True)

# One row per send command. status: queued -> sending -> sent | failed | skipped | deferred | unconfirmed
# (a send interrupted by a crash after its hand-over: possibly delivered, never resent automatically) | duplicate
# | erased | bounced | complained (feedback after it was sent: feedback_kind, feedback_code). A `sending` delivery whose process died before the hand-over goes back to `queued`.
deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
    sa.Column("command_id", sa.Text, nullable=False, unique=True),
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
    sa.Column("recipient", JSONB, nullable=True),  # personal data; NULL once erased
    sa.Column(
        "recipient_hash", sa.Text, nullable=True
    ),  # keyed hash of the address (shared.personal): suppression and cap checks
    sa.Column("facts", JSONB, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=True),
    sa.Column("provider_message_id", sa.Text, nullable=True),
    sa.Column("subject", sa.Text, nullable=True),  # of a sent email; may name the customer's company: erased
    sa.Column("traceparent", sa.Text, nullable=True),  # W3C trace context of the command (traces on; 0008)
    sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
    sa.Column("claimed_at", TZ, nullable=True),
    sa.Column("claims", sa.Integer, nullable=False, server_default="0"),  # the lease: a claim's number (0009)
    sa.Column("handed_over_at", TZ, nullable=True),  # just before the end of data went to the server (0009)
    sa.Column("sent_at", TZ, nullable=True),
    sa.Column("feedback_kind", sa.Text, nullable=True),  # hard | soft | complaint: the latest feedback (0010)
    sa.Column("feedback_code", sa.Text, nullable=True),  # its status code (5.1.1) or complaint type (0010)
    sa.Column("updated_at", TZ, nullable=False, server_default=sa.func.now()),
    sa.Index("ix_deliveries_queue", "id", postgresql_where=sa.text("status = 'queued'")),
    sa.Index("ix_deliveries_sending", "claimed_at", postgresql_where=sa.text("status = 'sending'")),
    sa.Index("ix_deliveries_journey", "journey_id", "step"),
    sa.Index(
        "ix_deliveries_marketing",
        "recipient_hash",
        "sent_at",
        postgresql_where=sa.text("category = 'marketing' AND status = 'sent'"),
    ),
)

suppressions = sa.Table(
    "suppressions",
    metadata,
    sa.Column("recipient_hash", sa.Text, primary_key=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
    # marketing (an unsubscribe) | all (a hard bounce or a complaint: nothing goes to the address) (0010)
    sa.Column("scope", sa.Text, nullable=False, server_default="marketing"),
    sa.Column("delivery_id", sa.BigInteger, nullable=True),  # the delivery whose feedback suppressed it (0010)
)

# Who lifted or looked up a suppression, when and why (operators through the API; 0010). No address, its hash.
suppression_audit = sa.Table(
    "suppression_audit",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
    sa.Column("at", TZ, nullable=False, server_default=sa.func.now()),
    sa.Column("actor", sa.Text, nullable=False),  # the token's fingerprint
    sa.Column("action", sa.Text, nullable=False),  # lifted
    sa.Column("recipient_hash", sa.Text, nullable=False),
    sa.Column("scope", sa.Text, nullable=False),  # what was lifted
    sa.Column("reason", sa.Text, nullable=False),
)

# Marketing mail paused by the reputation guard, and resumed by an operator (who, when, why): the history.
sending_pauses = sa.Table(
    "sending_pauses",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
    sa.Column("stream", sa.Text, nullable=False),  # marketing
    sa.Column("paused_at", TZ, nullable=False, server_default=sa.func.now()),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("resumed_at", TZ, nullable=True),
    sa.Column("resumed_by", sa.Text, nullable=True),  # the token's fingerprint
    sa.Column("resume_reason", sa.Text, nullable=True),
    sa.Index("uq_sending_pauses_open", "stream", unique=True, postgresql_where=sa.text("resumed_at IS NULL")),
)

# One row per delivery, kind and source: a report that arrives twice is written once.
delivery_feedback = sa.Table(
    "delivery_feedback",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
    sa.Column("delivery_id", sa.BigInteger, nullable=False),
    sa.Column("recipient_hash", sa.Text, nullable=True),  # NULL once the journey is erased
    sa.Column("kind", sa.Text, nullable=False),  # hard | soft | complaint (after the soft-bounce window: hard)
    sa.Column("reason_code", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False),  # smtp_report | arf_report | smtp_answer | ses | sendgrid | postmark
    sa.Column("occurred_at", TZ, nullable=False),
    sa.Column("received_at", TZ, nullable=False, server_default=sa.func.now()),
    sa.UniqueConstraint("delivery_id", "kind", "source", name="uq_delivery_feedback_once"),
    sa.Index("ix_delivery_feedback_address", "recipient_hash", "kind"),
)

unsubscribe_tokens = sa.Table(
    "unsubscribe_tokens",
    metadata,
    sa.Column("token_hash", sa.Text, primary_key=True),  # sha256 of the token: the token itself is not stored
    sa.Column("recipient_hash", sa.Text, nullable=False),
    sa.Column("journey_id", sa.Text, nullable=False),
    sa.Column("created_at", TZ, nullable=False, server_default=sa.func.now()),
    sa.Column("used_at", TZ, nullable=True),
    sa.Index("ix_unsubscribe_tokens_journey", "journey_id"),
)

__all__ = [
    "dead_letters",
    "deliveries",
    "delivery_feedback",
    "inbox",
    "metadata",
    "outbox",
    "suppressions",
    "unsubscribe_tokens",
]
