"""The sender loop: claims queued deliveries in batches (replicas share them through SKIP LOCKED) and sends
them with bounded concurrency; every round first settles deliveries a crashed process left behind."""

import asyncio

from notifier.service_layer.sending import Sender, one_per_customer_step
from shared.errors import describe
from shared.logging import get_logger
from shared.worker import Worker, next_backoff

log = get_logger(__name__)


class SenderLoop(Worker):
    def __init__(self, sender: Sender, *, batch_size: int, concurrency: int, interval: float) -> None:
        super().__init__()
        self._sender, self._batch_size, self._interval = sender, batch_size, interval
        self._slots = asyncio.Semaphore(concurrency)

    async def tick(self) -> int:
        await self._sender.release_interrupted()
        claimed = await self._sender.claim(self._batch_size)
        now, later = one_per_customer_step(claimed)
        await self._sender.release(later)
        known = await self._sender.known(now)
        outcomes = await asyncio.gather(*(self._send(row, known) for row in now))
        try:
            await self._sender.record(list(zip(now, outcomes, strict=True)))
        except Exception as exc:
            # The database stayed away: the deliveries stay `sending` and are settled as unconfirmed.
            log.warning("deliveries_not_recorded", deliveries=len(now), error=type(exc).__name__)
        return len(claimed)

    async def _send(self, row, known):
        async with self._slots:
            return await self._sender.process(row, known)

    async def run(self) -> None:
        backoff = 0.5
        while not self.stopping:
            try:
                claimed = await self.tick()
                backoff = 0.5
            except Exception as exc:
                log.warning("sender_round_failed", error=describe(exc))
                await self.pause(backoff)
                backoff = next_backoff(backoff)
                continue
            if claimed < self._batch_size:
                await self.pause(self._interval)
