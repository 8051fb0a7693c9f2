"""POST /v1/previews: what a journey would do for a cancellation, for the people who author journeys."""

from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from orchestrator.service_layer.previews import Previews, UnknownTemplate
from shared.auth import TokenAuth
from shared.events.subscription import SubscriptionCancelled
from shared.http import ApiError, documented_errors


class SurveyAnswer(BaseModel):
    """The exit-survey answer to assume (an hour after the survey was created); without one: never answered."""

    model_config = ConfigDict(extra="forbid")

    score: int = Field(ge=0, le=10, strict=True)
    reason: str | None = Field(None, max_length=64)
    may_contact: bool = False


class PreviewRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    data: SubscriptionCancelled = Field(description="the `data` of a subscription.cancelled event, as billing sends it")
    template: str | None = Field(None, max_length=64, description="a template by name instead of the selection")
    version: int | None = Field(None, ge=1, description="with `template`: a version other than the newest")
    survey: SurveyAnswer | None = None


class PreviewMessage(BaseModel):
    subject: str
    text: str
    html: str
    locale: str


class PreviewStep(BaseModel):
    name: str
    kind: str
    due_at: datetime | None
    would: Literal["run", "skip"]
    why: str
    message: PreviewMessage | None


class Preview(BaseModel):
    template: str
    template_version: int
    variant: str | None = Field(description="the experiment variant this subscription would get; null: none")
    selection: str
    started_at: datetime
    survey: SurveyAnswer | None
    steps: list[PreviewStep]
    problems: list[str]


def previews_router(previews: Previews, auth: TokenAuth) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["authoring"], responses=documented_errors(401, 403, 404, 422))
    Viewer = auth.require("viewer")

    @router.post(
        "/previews",
        response_model=Preview,
        summary="The journey a cancellation would get, every step and email, as if it started now; stores and sends nothing",
    )
    async def preview(body: PreviewRequest, _principal: Viewer) -> dict:
        try:
            return await previews.preview(
                body.data,
                template=body.template,
                version=body.version,
                survey=body.survey.model_dump() if body.survey else None,
            )
        except UnknownTemplate as exc:
            raise ApiError(404, "template_not_found", str(exc)) from None

    return router
