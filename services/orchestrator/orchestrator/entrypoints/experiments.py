"""GET /v1/experiments: the experiments the templates run, and per variant how its customers fared, with 95%
intervals and the difference from the control (docs/journeys.md, "Read the experiment")."""

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from orchestrator.domain.experiments import NAME
from orchestrator.service_layer.experiments import Experiments
from shared.auth import TokenAuth
from shared.http import ApiError, documented_errors
from shared.query_dates import QueryMoment, window

Status = Literal["running", "ended", "retired"]


class TemplateVersion(BaseModel):
    template: str
    version: int


class Weight(BaseModel):
    name: str
    weight: int


class ExperimentSummary(BaseModel):
    experiment: str
    status: Status = Field(description="running; ended (a winner is set); retired (no deployed template has it)")
    winner: str | None
    templates: list[TemplateVersion] = Field(description="the deployed template versions that declare it")
    variants: list[Weight]
    journeys: int = Field(description="journeys its split assigned, all along")


class ExperimentList(BaseModel):
    items: list[ExperimentSummary]
    next_cursor: None = None


class Estimate(BaseModel):
    value: float | None = Field(description="null when nobody was measured")
    low: float | None = Field(description="the 95% interval (null with fewer than two values)")
    high: float | None
    n: int = Field(description="customers measured: the denominator of a rate, the answers of a mean")
    count: int | None = Field(None, description="of a rate: the customers counted in the numerator")


class Difference(BaseModel):
    difference: float = Field(description="this variant minus the control")
    low: float | None
    high: float | None
    clear: bool = Field(description="the 95% interval leaves out 0")


class VariantReading(BaseModel):
    name: str
    expected_share: float | None = Field(description="its share of the split by weight")
    share: Estimate = Field(description="its share of the experiment's journeys")
    journeys: int
    customers: int
    survey_response_rate: Estimate = Field(description="exit surveys answered of those created")
    mean_score: Estimate = Field(description="mean exit-survey score, 0 to 10")
    nps: Estimate = Field(description="promoters (9-10) minus detractors (0-6), in % of answers")
    unsubscribe_rate: Estimate = Field(description="journeys whose customer unsubscribed from a marketing message")
    reactivated_30d: Estimate = Field(description="reactivated within 30 days of the cancellation, of those 30+ days")
    reactivated_90d: Estimate = Field(description="reactivated within 90 days of the cancellation, of those 90+ days")
    versus_control: dict[str, Difference | None] | None = Field(description="null for the control itself")


class ReadingWarning(BaseModel):
    code: Literal["retired", "weights_changed", "split_off", "too_young"]
    message: str
    values: dict[str, Any] = Field(description="what the message says, e.g. the variant and its shares")


class ExperimentReading(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    experiment: str
    status: Status
    winner: str | None
    templates: list[TemplateVersion]
    control: str | None = Field(description="the first variant declared: the others are compared with it")
    journeys: int
    variants: list[VariantReading]
    warnings: list[ReadingWarning] = Field(description="what makes the figures unsafe to read, e.g. a split off")
    from_: datetime = Field(alias="from")
    to: datetime
    as_of: datetime


def experiments_router(experiments: Experiments, auth: TokenAuth) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["authoring"], responses=documented_errors(401, 403, 404, 422))
    Viewer = auth.require("viewer")

    @router.get("/experiments", response_model=ExperimentList, summary="The experiments, running or not")
    async def list_experiments(_principal: Viewer) -> dict[str, Any]:
        return {"items": await experiments.list(), "next_cursor": None}

    @router.get(
        "/experiments/{name}",
        response_model=ExperimentReading,
        response_model_by_alias=True,
        summary="How each variant's customers fared, with 95% intervals and the difference from the control",
    )
    async def read_experiment(
        name: Annotated[str, Path(pattern=NAME)],
        _principal: Viewer,
        from_: Annotated[
            QueryMoment | None, Query(alias="from", description="journeys started from (inclusive); default: all")
        ] = None,
        to: Annotated[QueryMoment | None, Query(description="until (exclusive; a date means the whole day)")] = None,
    ) -> dict[str, Any]:
        try:
            start, end = window(from_, to, default_span=None)
        except ValueError as exc:
            raise ApiError(422, "invalid_range", str(exc)) from None
        reading = await experiments.read(name, start=start, end=end)
        if reading is None:
            raise ApiError(404, "experiment_not_found", f"no template declares experiment {name!r} and none ran")
        return reading

    return router
