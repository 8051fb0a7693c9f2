"""Journeys per status, counted in the background every few seconds: counting a million rows takes longer
than a page may, so the console shows the latest count and when it was taken."""

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orchestrator.adapters.tables import journeys

STATUSES = ("active", "paused", "failed", "completed", "cancelled")


class StatusCounts:
    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.at: datetime | None = None  # None until the first count

    async def refresh(self, session: AsyncSession) -> None:
        rows = await session.execute(sa.select(journeys.c.status, sa.func.count()).group_by(journeys.c.status))
        counted = dict.fromkeys(STATUSES, 0) | {status: n for status, n in rows}
        self.counts, self.at = counted, datetime.now(UTC)
