"""Support routes every service has under /v1: its dead letters (the console's attention list reads them)."""

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.auth import TokenAuth
from shared.http import documented_errors
from shared.messaging import dead_letters


def dead_letters_router(sessions: async_sessionmaker[AsyncSession], auth: TokenAuth) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["dead letters"], responses=documented_errors(401, 403, 422))
    Viewer = auth.require("viewer")

    @router.get("/dead-letters", summary="Dead letters of this service's consumers: counts per topic and reason")
    async def list_dead_letters(_principal: Viewer, days: Annotated[int, Query(ge=1, le=365)] = 7) -> dict:
        async with sessions() as session:
            return await dead_letters.summary(session, since=datetime.now(UTC) - timedelta(days=days))

    return router
