"""The sender loop: claims queued deliveries in batches (replicas share them through SKIP LOCKED) and sends
them with bounded concurrency. It is woken by a NOTIFY when commands join the queue (the interval is only the
last-resort poll, 30 s by default: a quiet day costs no queries). Deliveries a crashed process left behind are
settled every `sweep_every` seconds, not every round: they wait out a lease of minutes anyway, and a round is
often a single delivery."""

import asyncio

from opentelemetry.trace import Span, SpanKind

from notifier.domain.delivery import Delivery, Known, Outcome, one_per_customer_step
from notifier.service_layer.sending import Sender
from shared import tracing
from shared.db.wakeup import Wakeup
from shared.errors import describe
from shared.logging import get_logger
from shared.worker import Worker, next_backoff

log = get_logger(__name__)


class SenderLoop(Worker):
    def __init__(
        self, sender: Sender, *, wakeup: Wakeup, batch_size: int, concurrency: int, interval: float, sweep_every: float
    ) -> None:
        super().__init__()
        self._sender, self._wakeup = sender, wakeup
        self._batch_size, self._interval, self._sweep_every = batch_size, interval, sweep_every
        self._slots = asyncio.Semaphore(concurrency)
        self._next_sweep = 0.0

    async def tick(self) -> int:
        """One round; returns how many deliveries it claimed (those held back for the next round included)."""
        now_s = asyncio.get_running_loop().time()
        if now_s >= self._next_sweep:
            await self._sender.release_interrupted()
            self._next_sweep = now_s + self._sweep_every
        claimed = await self._sender.claim(self._batch_size)
        now, later = one_per_customer_step(claimed)
        await self._sender.release(later)
        if later:
            self._wakeup.set()  # held back only until this round is recorded
        known = await self._sender.known(now)
        outcomes = await asyncio.gather(*(self._send(delivery, known) for delivery in now))
        try:
            await self._sender.record(list(outcomes))
        except Exception as exc:
            # The database stayed away: the deliveries stay `sending` and are settled after their lease.
            log.warning("deliveries_not_recorded", deliveries=len(now), error=type(exc).__name__)
        return len(claimed)

    async def _send(self, delivery: Delivery, known: Known) -> tuple[Delivery, Outcome, Span | None]:
        async with self._slots:
            with tracing.span(
                f"send {delivery.channel}",
                traceparent=delivery.traceparent,
                kind=SpanKind.CLIENT,
                attributes={
                    "offboarding.journey_id": delivery.journey_id,
                    "offboarding.step": delivery.step,
                    "offboarding.message": delivery.message,
                    "offboarding.channel": delivery.channel,
                },
            ) as span:
                outcome = await self._sender.process(delivery, known)
                if span is not None:
                    span.set_attribute("offboarding.outcome", outcome.status)
                return delivery, outcome, span

    async def run(self) -> None:
        backoff = 0.5
        while not self.stopping:
            try:
                await self._wakeup.listen()
                self._wakeup.clear()
                claimed = await self.tick()
                backoff = 0.5
            except Exception as exc:
                log.warning("sender_round_failed", error=describe(exc))
                await self._wakeup.close()
                await self.pause(backoff)
                backoff = next_backoff(backoff)
                continue
            if claimed < self._batch_size:
                # Queued deliveries always come with a NOTIFY (or a `set` from this loop): the sleep only has to
                # end for the next sweep, or as the last-resort poll.
                until_sweep = self._next_sweep - asyncio.get_running_loop().time()
                await self._wakeup.wait(min(self._interval, max(until_sweep, 0.0)))
        await self._wakeup.close()

    def stop(self) -> None:
        super().stop()
        self._wakeup.set()
