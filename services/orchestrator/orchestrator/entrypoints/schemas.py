"""The support API's request and response shapes (also what /docs shows)."""

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.text import VISIBLE_PATTERN, clean_paragraphs

JourneyStatus = Literal["active", "paused", "completed", "cancelled", "failed"]
StepStatus = Literal["pending", "scheduled", "in_progress", "succeeded", "failed", "skipped", "cancelled"]


class StepView(BaseModel):
    name: str
    kind: Literal["notify", "survey", "wait", "erase"]
    status: StepStatus
    due_at: datetime | None
    attempts: int
    last_error: str | None
    completed_at: datetime | None


class TimelineEntry(BaseModel):
    at: datetime
    what: str = Field(description="started, step_dispatched, step_succeeded, survey_answered, paused, ...")
    details: dict[str, Any]


class JourneyView(BaseModel):
    id: uuid.UUID
    subscription_id: str
    customer_id: str
    status: JourneyStatus
    template: str
    template_version: int
    variant: str | None = Field(None, description="the template's experiment variant this journey got; null: none")
    experiment: str | None = Field(
        None, description="the experiment whose split chose the variant; null: none, or it had ended with a winner"
    )
    segment: Literal["b2c", "b2b"]
    initiated_by: Literal["customer", "merchant", "payment_failure"]
    reason: str | None
    plan: str | None
    cancelled_at: datetime
    effective_at: datetime
    started_at: datetime
    updated_at: datetime
    ended_at: datetime | None
    erased_at: datetime | None
    survey: dict[str, Any] | None = Field(description="score, reason and may_contact of the exit-survey answer")
    email: str | None = Field(None, description="only with ?include=email and the operator role")
    steps: list[StepView]
    timeline: list[TimelineEntry]


class JourneyPage(BaseModel):
    items: list[JourneyView]
    next_cursor: str | None


class ActionRequest(BaseModel):
    """Why the operator acts: kept in the audit log and the journey's timeline."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500, pattern=VISIBLE_PATTERN)

    @field_validator("reason")
    @classmethod
    def _not_blank(cls, reason: str) -> str:
        # Control characters (U+0000 included) are removed, line breaks kept: it is stored and shown.
        reason = clean_paragraphs(reason)
        if not reason:
            raise ValueError("reason must not be blank")
        return reason
