"""The outbox relay: publishes committed outbox rows to Kafka in order, then marks them published.

Rows are claimed with FOR UPDATE SKIP LOCKED inside a transaction that also holds an advisory lock per
schema, so with several replicas exactly one relay publishes at a time: that is what keeps every key's
messages in insertion order (two relays publishing neighbouring rows of one key could swap them). A crash
between publishing and marking republishes those rows: delivery is at least once, and every consumer
deduplicates on the CloudEvent identity (inbox).
"""

import asyncio
import contextlib
import hashlib
from datetime import timedelta

import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from prometheus_client import Counter, Gauge
from sqlalchemy.ext.asyncio import AsyncEngine

from shared import tracing
from shared.db.wakeup import Wakeup
from shared.errors import describe
from shared.logging import get_logger
from shared.messaging.producer import RenewableProducer
from shared.outbox.table import outbox
from shared.worker import Worker, next_backoff

log = get_logger(__name__)

PUBLISHED = Counter("outbox_published_total", "Outbox rows published to Kafka", ["topic"])
PURGE_EVERY_SECONDS = 600.0
LAG = Gauge("outbox_lag_seconds", "Age of the oldest unpublished outbox row (0 when none)")


def relay_lock_id(schema: str) -> int:
    """A stable 63-bit advisory-lock id per schema (one relay at a time per service)."""
    return int.from_bytes(hashlib.sha256(f"outbox-relay:{schema}".encode()).digest()[:8], "big") >> 1


def claim_statement(lock_id: int, batch_size: int) -> sa.Update:
    """UPDATE outbox SET published_at = now() WHERE id IN (the oldest unpublished rows, if this relay holds the
    advisory lock) RETURNING them. The lock is an uncorrelated subquery: PostgreSQL evaluates it once, before any
    row is read (a one-time filter)."""
    holds_lock = sa.select(sa.func.pg_try_advisory_xact_lock(lock_id)).scalar_subquery()
    oldest = (
        sa.select(outbox.c.id)
        .where(outbox.c.published_at.is_(None), holds_lock)
        .order_by(outbox.c.id)
        .limit(batch_size)
        .with_for_update(skip_locked=True)
    )
    age = sa.func.extract("epoch", sa.func.now() - outbox.c.created_at).label("age")
    return (
        sa.update(outbox)
        .where(outbox.c.id.in_(oldest))
        .values(published_at=sa.func.now())
        .returning(outbox.c.id, outbox.c.topic, outbox.c.key, outbox.c.value, outbox.c.headers, age)
    )


class OutboxRelay(Worker):
    def __init__(
        self,
        engine: AsyncEngine,
        producer: "AIOKafkaProducer | RenewableProducer",
        *,
        schema: str,
        batch_size: int = 500,
        idle_seconds: float = 0.05,
        keep_published: timedelta = timedelta(days=1),
    ) -> None:
        self._engine = engine
        self._producer = producer
        self._lock_id = relay_lock_id(schema)
        self._batch_size = batch_size
        self._idle_seconds = idle_seconds
        self._keep_published = keep_published
        self._wakeup = Wakeup(engine, f"{schema}_outbox")
        self._claim = claim_statement(self._lock_id, batch_size)
        super().__init__()

    async def publish_batch(self) -> int:
        """Publish up to one batch of unpublished rows; returns how many were published."""
        async with self._engine.begin() as conn:
            # One statement takes the relay's lock, claims the oldest rows and marks them published: if sending
            # fails, the exception rolls the mark back with the transaction. Without the lock it claims nothing.
            rows = sorted((await conn.execute(self._claim)).all(), key=lambda row: row.id)
            # The age of each claimed row comes with it: rows are claimed oldest first by the one relay holding
            # the lock, so the first row's age is the outbox lag, without a statement of its own.
            LAG.set(max(float(rows[0].age), 0.0) if rows else 0.0)
            if not rows:
                return 0
            # send() only enqueues; awaiting every delivery afterwards keeps the batch pipelined, and the
            # idempotent producer keeps each partition's order.
            deliveries = [await self._send(row) for row in rows]
            await asyncio.gather(*deliveries)
            for row in rows:
                PUBLISHED.labels(row.topic).inc()
            return len(rows)

    async def _send(self, row):
        """One row to Kafka. With traces on, inside the trace context the row was written in: the Kafka
        instrumentation's send span continues it and puts its own `traceparent` on the record."""
        key = row.key.encode() if row.key is not None else None
        if not tracing.is_recording():
            headers = [(k, v.encode()) for k, v in row.headers]
            return await self._producer.send(row.topic, value=row.value, key=key, headers=headers)
        headers = [(k, v.encode()) for k, v in tracing.without_trace_headers(row.headers)]
        with tracing.within(tracing.context_from(row.headers)):
            return await self._producer.send(row.topic, value=row.value, key=key, headers=headers)

    async def purge_published(self) -> int:
        """Delete rows published longer ago than the retention (they were kept for inspection)."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                sa.delete(outbox).where(outbox.c.published_at < sa.func.now() - self._keep_published)
            )
            return result.rowcount

    async def run(self) -> None:
        """Publish until stopped, woken by NOTIFY on outbox inserts (polling as a fallback); back off on errors
        (Kafka or Postgres away) and go on."""
        loop = asyncio.get_running_loop()
        backoff = 0.5
        next_purge = loop.time() + PURGE_EVERY_SECONDS
        while not self.stopping:
            try:
                await self._wakeup.listen()
                self._wakeup.clear()
                published = await self.publish_batch()
                if loop.time() >= next_purge:
                    await self.purge_published()
                    next_purge = loop.time() + PURGE_EVERY_SECONDS
            except Exception as exc:
                log.warning("outbox_publish_failed", error=describe(exc))
                await _renew_producer_after(self._producer, exc)
                await self._wakeup.close()
                await self.pause(backoff)
                backoff = next_backoff(backoff)
                continue
            backoff = 0.5
            if published < self._batch_size:
                await self._wakeup.wait(self._idle_seconds)
        await self._wakeup.close()

    def stop(self) -> None:
        super().stop()
        self._wakeup.set()


async def _renew_producer_after(producer, error: Exception) -> None:
    """A service's RenewableProducer is replaced when the broker lost its state; tests may pass a plain one."""
    renew = getattr(producer, "renew_after", None)
    if renew is not None:
        with contextlib.suppress(Exception):  # Kafka still away: the next round tries again
            await renew(error)
