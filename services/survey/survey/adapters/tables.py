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

__all__ = ["answers", "dead_letters", "inbox", "metadata", "outbox", "surveys"]
