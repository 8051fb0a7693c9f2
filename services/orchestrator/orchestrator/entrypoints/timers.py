"""The timer loop: durable timers are journeys' due steps in the database, claimed in batches.

Claiming uses FOR UPDATE SKIP LOCKED on the journey rows, so replicas share the work and never run one
journey's step twice. Timers survive restarts because they are rows, not sleeping tasks. Between rounds the loop
sleeps until the next due step, or until PostgreSQL says one falls due sooner (NOTIFY <schema>_timers, from a
trigger on journeys: migration 0015), at most `interval` seconds: it does not poll on a quiet day.
"""

import asyncio
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from orchestrator.adapters.repository import DRIVEN
from orchestrator.adapters.status_counts import StatusCounts
from orchestrator.adapters.tables import journeys
from orchestrator.metrics import JOURNEYS_BY_STATUS, TIMER_LAG
from orchestrator.service_layer.handlers import run_due_steps
from orchestrator.service_layer.unit_of_work import UnitOfWork
from shared.db.wakeup import Wakeup
from shared.errors import describe
from shared.logging import get_logger
from shared.worker import Worker, next_backoff

log = get_logger(__name__)
GAUGES_EVERY_SECONDS = 15.0
SHORTEST_SLEEP = 0.1  # due rows another replica holds (SKIP LOCKED) are looked at again this soon


class TimerLoop(Worker):
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        uow_factory: Callable[[AsyncSession], UnitOfWork],
        *,
        interval: float,
        batch_size: int,
        counts: StatusCounts | None = None,
        wakeup: Wakeup,
    ) -> None:
        self._sessions = sessions
        self._wakeup = wakeup
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
        next_gauges, backoff = 0.0, 0.5
        while not self.stopping:
            try:
                await self._wakeup.listen()
                self._wakeup.clear()
                claimed = await self.tick()
                if loop.time() >= next_gauges:
                    await self._update_gauges()
                    next_gauges = loop.time() + GAUGES_EVERY_SECONDS
                if claimed >= self._batch_size:
                    continue  # more may be due: no sleep
                sleep = await self._until_next_due()
            except Exception as exc:
                log.warning("timer_tick_failed", error=describe(exc))
                await self._wakeup.close()
                await self.pause(backoff)
                backoff = next_backoff(backoff)
                continue
            backoff = 0.5
            await self._wakeup.wait(sleep)

    async def _until_next_due(self) -> float:
        """Seconds until the next step of any journey falls due, within [SHORTEST_SLEEP, interval]."""
        async with self._sessions() as session:
            seconds = await session.scalar(
                sa.select(sa.func.extract("epoch", sa.func.min(journeys.c.next_due_at) - sa.func.now())).where(
                    journeys.c.status.in_(DRIVEN), journeys.c.next_due_at.is_not(None)
                )
            )
        return self._interval if seconds is None else min(max(float(seconds), SHORTEST_SLEEP), self._interval)

    def stop(self) -> None:
        super().stop()
        self._wakeup.set()

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
