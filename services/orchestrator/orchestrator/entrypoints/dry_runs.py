"""POST /v1/dry-runs: candidate templates replayed over past cancellations, for the people who author journeys."""

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from orchestrator.service_layer.dry_runs import CandidateInvalid, DryRuns
from shared.auth import TokenAuth
from shared.http import ApiError, documented_errors

FileName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,99}\.yaml$")]
MAX_WINDOW = timedelta(days=400)


class DryRunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    files: dict[FileName, Annotated[str, StringConstraints(max_length=262_144)] | None] = Field(
        max_length=50,
        description="template files as YAML text, added to or replacing the deployed ones by name; null removes one",
    )
    from_: datetime = Field(alias="from", description="cancellations from this moment (cancelled_at)")
    to: datetime = Field(description="up to this moment, excluded")

    @model_validator(mode="after")
    def _a_window(self) -> "DryRunRequest":
        if self.from_.tzinfo is None or self.to.tzinfo is None:
            raise ValueError("`from` and `to` need a time zone (e.g. 2026-11-01T00:00:00Z)")
        if not (self.from_ < self.to and self.to - self.from_ <= MAX_WINDOW):
            raise ValueError(f"`from` must come before `to`, at most {MAX_WINDOW.days} days apart")
        return self


class StepChanges(BaseModel):
    added: dict[str, int]
    skipped: dict[str, int]


class DryRunAnswer(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    from_: datetime = Field(alias="from")
    to: datetime
    journeys: int = Field(description="past cancellations replayed")
    erased: int = Field(description="of them, with personal data erased: replayed from their anonymous facts")
    templates: dict[str, int] = Field(description="journeys per template version the candidate would choose")
    messages: dict[str, int] = Field(description="messages that would be sent, per message")
    steps: StepChanges = Field(description="per step: journeys where it would now run but did not, and the reverse")
    nothing: int = Field(description="customers who would get no message at all")
    problems: list[str]
    replays: int = Field(description="distinct replays: equal inputs are replayed once")
    elapsed_ms: int


def dry_runs_router(dry_runs: DryRuns, auth: TokenAuth) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["authoring"], responses=documented_errors(401, 403, 422))
    Operator = auth.require("operator")

    @router.post(
        "/dry-runs",
        response_model=DryRunAnswer,
        response_model_by_alias=True,
        summary="Replay the recorded cancellations of a window through candidate templates; nothing is sent",
    )
    async def dry_run(body: DryRunRequest, _principal: Operator) -> dict:
        try:
            return await dry_runs.run(body.files, start=body.from_, end=body.to)
        except CandidateInvalid as exc:
            raise ApiError(422, "invalid_templates", "; ".join(exc.problems)) from None

    return router
