"""The notifier's tables: deliveries (the send queue and the delivery log in one), the suppression list,
unsubscribe tokens, plus the shared outbox and inbox."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from shared.db.engine import metadata
from shared.inbox.table import inbox
from shared.messaging.dead_letters import dead_letters
from shared.outbox.table import outbox

TZ = sa.DateTime(timezone=True)

# One row per send command. status: queued -> sending -> sent | failed | skipped | deferred | unconfirmed
# (a send interrupted by a crash after its hand-over: possibly delivered, never resent automatically) | duplicate
# | erased. A `sending` delivery whose process died before the hand-over goes back to `queued`.
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
    sa.Column("recipient_hash", sa.Text, nullable=True),  # sha256 of the address: suppression and cap checks
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

__all__ = ["dead_letters", "deliveries", "inbox", "metadata", "outbox", "suppressions", "unsubscribe_tokens"]
