"""Surveys and answers.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "surveys",
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("journey_id", sa.Text, nullable=False),
        sa.Column("subscription_id", sa.Text, nullable=False),
        sa.Column("customer_id", sa.Text, nullable=False),
        sa.Column("segment", sa.Text, nullable=False),
        sa.Column("plan", sa.Text, nullable=True),
        sa.Column("locale", sa.Text, nullable=False),
        sa.Column("token_hash", sa.Text, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("expires_at", TZ, nullable=False),
        sa.Column("answered_at", TZ, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_surveys"),
        sa.UniqueConstraint("journey_id", name="uq_surveys_journey_id"),
        sa.UniqueConstraint("token_hash", name="uq_surveys_token_hash"),
    )
    op.create_index("ix_surveys_created", "surveys", ["created_at", "segment"])
    op.create_table(
        "answers",
        sa.Column("survey_id", UUID(as_uuid=True), nullable=False),
        sa.Column("journey_id", sa.Text, nullable=False),
        sa.Column("segment", sa.Text, nullable=False),
        sa.Column("plan", sa.Text, nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("reason_other", sa.Text, nullable=True),
        sa.Column("score", sa.SmallInteger, nullable=False),
        sa.Column("comment", sa.Text, nullable=True),
        sa.Column("may_contact", sa.Boolean, nullable=False),
        sa.Column("submitted_at", TZ, nullable=False),
        sa.Column("erased_at", TZ, nullable=True),
        sa.PrimaryKeyConstraint("survey_id", name="pk_answers"),
        sa.ForeignKeyConstraint(["survey_id"], ["surveys.id"], name="fk_answers_survey_id_surveys", ondelete="CASCADE"),
        sa.CheckConstraint("score BETWEEN 0 AND 10", name="ck_answers_score_range"),
    )
    op.create_index("ix_answers_submitted", "answers", ["submitted_at", "segment", "plan"])
    op.create_index("ix_answers_journey", "answers", ["journey_id"])


def downgrade() -> None:
    op.drop_table("answers")
    op.drop_table("surveys")
