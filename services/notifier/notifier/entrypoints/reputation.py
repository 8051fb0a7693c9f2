"""`GET /v1/reputation`: the rates of the rolling window per stream and template, and whether marketing mail is
paused and why; `GET /v1/reputation/daily`: the rates per day and stream (the console's chart);
`POST /v1/reputation/resume?reason=`: an operator resumes it (who, when and why are kept)."""

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notifier.adapters.reputation_repository import ReputationRepository
from notifier.domain.reputation import per_stream
from notifier.service_layer.reputation import ReputationGuard
from shared.auth import TokenAuth
from shared.http import ApiError, documented_errors
from shared.text import VISIBLE_PATTERN


class Rates(BaseModel):
    stream: str
    template: str
    sent: int
    hard_bounces: int
    soft_bounces: int
    complaints: int
    bounce_rate: float
    complaint_rate: float


class Marketing(BaseModel):
    paused: bool
    since: datetime | None
    reason: str | None


class Day(BaseModel):
    day: date
    stream: str
    sent: int
    hard_bounces: int
    complaints: int
    bounce_rate: float
    complaint_rate: float


class Daily(BaseModel):
    days: list[Day]


class Reputation(BaseModel):
    window_hours: float
    complaint_threshold: float
    bounce_threshold: float
    min_sent: int
    streams: list[Rates]
    templates: list[Rates]
    marketing: Marketing


def reputation_router(sessions: async_sessionmaker[AsyncSession], auth: TokenAuth, guard: ReputationGuard) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["reputation"], responses=documented_errors(401, 403, 422))
    Viewer, Operator = auth.require("viewer"), auth.require("operator")

    @router.get("/reputation", response_model=Reputation, summary="Bounce and complaint rates; marketing paused?")
    async def reputation(_principal: Viewer) -> dict:
        tallies = await guard.check()
        return guard.describe() | {
            "streams": [_rates(t) for t in per_stream(tallies)],
            "templates": [_rates(t) for t in sorted(tallies, key=lambda t: (t.stream, t.template))],
        }

    @router.get("/reputation/daily", response_model=Daily, summary="Bounce and complaint rates per day and stream")
    async def daily(
        _principal: Viewer, days: Annotated[int, Query(ge=1, le=90, description="how many days, today included")] = 14
    ) -> dict:
        since = datetime.combine(datetime.now(UTC).date() - timedelta(days=days - 1), time(), tzinfo=UTC)
        async with sessions() as session:
            found = await ReputationRepository(session).daily(since)
        return {"days": [{"day": day} | _rates(t) for day, t in found]}

    @router.post(
        "/reputation/resume",
        response_model=Marketing,
        responses=documented_errors(409),
        summary="Resume marketing mail (operators; with a reason, kept with the pause)",
    )
    async def resume(
        principal: Operator,
        reason: Annotated[str, Query(min_length=1, max_length=500, pattern=VISIBLE_PATTERN, description="why (kept)")],
        on_behalf_of: Annotated[
            str | None,
            Query(pattern=r"^[A-Za-z0-9-]{1,40}$", description="the staff member, when the console asks (kept)"),
        ] = None,
    ) -> dict:
        actor = f"{principal.name} for {on_behalf_of}" if on_behalf_of else principal.name
        async with sessions() as session, session.begin():
            if not await ReputationRepository(session).resume(actor=actor, reason=reason.strip()):
                raise ApiError(409, "not_paused", "marketing mail is not paused")
        guard.current = None
        return {"paused": False, "since": None, "reason": None}

    return router


def _rates(t) -> dict:
    return {
        "stream": t.stream,
        "template": t.template,
        "sent": t.sent,
        "hard_bounces": t.hard_bounces,
        "soft_bounces": t.soft_bounces,
        "complaints": t.complaints,
        "bounce_rate": round(t.bounce_rate, 5),
        "complaint_rate": round(t.complaint_rate, 5),
    }
