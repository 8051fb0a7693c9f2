"""The survey service's tables: surveys (one per journey) and their answers, plus the shared outbox and inbox."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import UUID

from shared.db.engine import metadata
from shared.inbox.table import inbox
from shared.messaging.dead_letters import dead_letters
from shared.outbox.table import outbox

TZ = sa.DateTime(timezone=True)

surveys = sa.Table(
    "surveys",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("journey_id", sa.Text, nullable=False, unique=True),
    sa.Column("subscription_id", sa.Text, nullable=False),
    sa.Column("customer_id", sa.Text, nullable=False),
    sa.Column("segment", sa.Text, nullable=False),
    sa.Column("plan", sa.Text, nullable=True),
    sa.Column("template", sa.Text, nullable=True),
    sa.Column("locale", sa.Text, nullable=False),
    sa.Column("token_hash", sa.Text, nullable=True, unique=True),  # NULL once the link is retired (erasure)
    sa.Column("created_at", TZ, nullable=False),
    sa.Column("expires_at", TZ, nullable=False),
    sa.Column("answered_at", TZ, nullable=True),
    sa.Index("ix_surveys_created", "created_at", "segment"),
)

# Answers keep ids, dates, reason, score and segment for insights; the free text goes on erasure.
answers = sa.Table(
    "answers",
    metadata,
    sa.Column("survey_id", UUID(as_uuid=True), sa.ForeignKey("surveys.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("journey_id", sa.Text, nullable=False),
    sa.Column("segment", sa.Text, nullable=False),
    sa.Column("plan", sa.Text, nullable=True),
    sa.Column("template", sa.Text, nullable=True),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("reason_other", sa.Text, nullable=True),
    sa.Column("score", sa.SmallInteger, nullable=False),
    sa.Column("comment", sa.Text, nullable=True),
    sa.Column("may_contact", sa.Boolean, nullable=False),
    sa.Column("submitted_at", TZ, nullable=False),
    sa.Column("erased_at", TZ, nullable=True),
    sa.CheckConstraint("score BETWEEN 0 AND 10", name="score_range"),
    sa.Index("ix_answers_submitted", "submitted_at", "segment", "plan"),
    sa.Index("ix_answers_journey", "journey_id"),
)

# The leaving customer's own page, one per journey: what it shows, as the orchestrator last told (older updates are
# ignored). The link is known by its hash only; the account manager's name goes on erasure, the page stays (with
# nothing personal on it) until valid_until.
customer_pages = sa.Table(
    "customer_pages",
    metadata,
    sa.Column("journey_id", sa.Text, primary_key=True),
    sa.Column("token_hash", sa.Text, nullable=True, unique=True),
    sa.Column("subscription_id", sa.Text, nullable=False),
    sa.Column("customer_id", sa.Text, nullable=False),
    sa.Column("segment", sa.Text, nullable=False),
    sa.Column("template", sa.Text, nullable=False),
    sa.Column("variant", sa.Text, nullable=True),
    sa.Column("initiated_by", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("plan", sa.Text, nullable=True),
    sa.Column("locale", sa.Text, nullable=False),
    sa.Column("timezone", sa.Text, nullable=False),
    sa.Column("cancelled_at", TZ, nullable=False),
    sa.Column("effective_at", TZ, nullable=False),
    sa.Column("deletion_at", TZ, nullable=True),
    sa.Column("reactivated_at", TZ, nullable=True),
    sa.Column("ended_at", TZ, nullable=True),
    sa.Column("updated_at", TZ, nullable=False),
    sa.Column("account_manager", sa.Text, nullable=True),
    sa.Column("erased_at", TZ, nullable=True),
    sa.Column("valid_until", TZ, nullable=False),
    sa.Column("marketing_consent", sa.Boolean, nullable=False, server_default=sa.false()),
)

# "I need help" from the page: what the customer wrote (erased with the journey) and how to reach them.
help_requests = sa.Table(
    "page_help_requests",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("journey_id", sa.Text, nullable=False),
    sa.Column("topic", sa.Text, nullable=False),
    sa.Column("message", sa.Text, nullable=True),
    sa.Column("reach_by", sa.Text, nullable=False),
    sa.Column("phone", sa.Text, nullable=True),
    sa.Column("requested_at", TZ, nullable=False),
    sa.Column("erased_at", TZ, nullable=True),
    sa.Index("ix_page_help_requests_journey", "journey_id", "requested_at"),
)

# What was done on a page, counted per journey (visits, help requests, export and come-back clicks): no address,
# no browser, no times beyond the first and the last; for insights per template and variant.
page_activity = sa.Table(
    "page_activity",
    metadata,
    sa.Column("journey_id", sa.Text, primary_key=True),
    sa.Column("what", sa.Text, primary_key=True),
    sa.Column("template", sa.Text, nullable=False),
    sa.Column("variant", sa.Text, nullable=True),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("first_at", TZ, nullable=False),
    sa.Column("last_at", TZ, nullable=False),
    sa.Index("ix_page_activity_first", "first_at"),
)

# Every contact preference a customer chose on their page: the consent record (no personal data; kept after erasure).
consents = sa.Table(
    "page_consents",
    metadata,
    sa.Column("id", UUID(as_uuid=True), primary_key=True),
    sa.Column("journey_id", sa.Text, nullable=False),
    sa.Column("marketing_consent", sa.Boolean, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("recorded_at", TZ, nullable=False),
    sa.Index("ix_page_consents_journey", "journey_id", "recorded_at"),
)

__all__ = [
    "answers",
    "consents",
    "customer_pages",
    "dead_letters",
    "help_requests",
    "inbox",
    "metadata",
    "outbox",
    "page_activity",
    "surveys",
]
