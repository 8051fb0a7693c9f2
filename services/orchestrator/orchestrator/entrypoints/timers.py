"""The timer loop: durable timers are journeys' due steps in the database, claimed in batches.

Claiming uses FOR UPDATE SKIP LOCKED on the journey rows, so replicas share the work and never run one
journey's step twice. Timers survive restarts because they are rows, not sleeping tasks.
"""

import asyncio
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from orchestrator.adapters.status_counts import StatusCounts
from orchestrator.adapters.tables import journeys
from orchestrator.metrics import JOURNEYS_BY_STATUS, TIMER_LAG
from orchestrator.service_layer.handlers import run_due_steps
from orchestrator.service_layer.unit_of_work import UnitOfWork
from shared.errors import describe
from shared.logging import get_logger
from shared.worker import Worker

log = get_logger(__name__)
GAUGES_EVERY_SECONDS = 15.0


class TimerLoop(Worker):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        uow_factory: Callable[[AsyncSession], UnitOfWork],
        *,
        interval: float,
        batch_size: int,
        counts: StatusCounts | None = None,
    ) -> None:
        self._sessions = sessions
        self._counts = counts or StatusCounts()
        self._uow_factory = uow_factory
        self._interval = interval
        self._batch_size = batch_size
        super().__init__()

    async def tick(self) -> int:
        """One batch in one transaction; returns how many journeys were due."""
        async with self._sessions() as session, session.begin():
            return await run_due_steps(self._uow_factory(session), limit=self._batch_size)

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        next_gauges = 0.0
        while not self.stopping:
            claimed = 0
            try:
                claimed = await self.tick()
                if loop.time() >= next_gauges:
                    await self._update_gauges()
                    next_gauges = loop.time() + GAUGES_EVERY_SECONDS
            except Exception as exc:
                log.warning("timer_tick_failed", error=describe(exc))
            if claimed < self._batch_size:
                await self.pause(self._interval)

    async def _update_gauges(self) -> None:
        async with self._sessions() as session:
            await self._counts.refresh(session)
            for status, count in self._counts.counts.items():
                JOURNEYS_BY_STATUS.labels(status).set(count)
            lag = await session.scalar(
                sa.select(sa.func.extract("epoch", sa.func.now() - sa.func.min(journeys.c.next_due_at))).where(
                    journeys.c.status.in_(("active", "cancelled")), journeys.c.next_due_at <= sa.func.now()
                )
            )
            TIMER_LAG.set(max(float(lag or 0), 0.0))
