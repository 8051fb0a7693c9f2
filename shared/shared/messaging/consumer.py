"""Batch consumer: getmany, one database transaction per batch, offsets committed only after it commits.

For each batch: every record is parsed as a CloudEvent (unparseable ones go to `<topic>.dlq` unchanged, with
`error.*` headers); the batch's identities are claimed in the inbox; new messages go to the handler, all in
one transaction. After the commit, dead letters are sent, then offsets are committed. A crash anywhere
before the offset commit redelivers the batch, and the inbox turns the redelivery into a no-op.

A handler takes one message, or a batch handler all of a batch's new messages (set-based work). Either
rejects a message by raising InvalidMessage: the batch is then retried one message per transaction, and the
rejected one goes to the DLQ. Any other error (database or broker away) rolls the batch
back, rewinds the partitions and retries with backoff: nothing is skipped.
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.events.envelope import CloudEvent, InvalidMessage, parse_kafka_message
from shared.events.topics import dlq_topic
from shared.inbox.table import claim_new
from shared.logging import bind_correlation, clear_correlation, get_logger
from shared.worker import next_backoff

log = get_logger(__name__)

CONSUMED = Counter("messages_consumed_total", "Messages consumed, by outcome", ["topic", "outcome"])
DEAD_LETTERED = Counter("dlq_messages_total", "Messages sent to a dead-letter topic", ["topic", "reason"])


@dataclass(frozen=True)
class IncomingMessage:
    """A parsed message and where it came from."""

    topic: str
    partition: int
    offset: int
    key: str | None
    event: CloudEvent


Handler = Callable[[IncomingMessage, AsyncSession], Awaitable[None]]
# Takes the batch's new messages at once, for set-based work (one statement for many messages).
BatchHandler = Callable[[list[IncomingMessage], AsyncSession], Awaitable[None]]


@dataclass
class _Batch:
    records: list[ConsumerRecord]
    parsed: list[tuple[ConsumerRecord, IncomingMessage]] = field(default_factory=list)
    dead: list[tuple[ConsumerRecord, InvalidMessage]] = field(default_factory=list)


class BatchConsumer:
    def __init__(
        self,
        *,
        bootstrap_servers: str,
        group_id: str,
        topics: list[str],
        session_factory: async_sessionmaker[AsyncSession],
        handler: Handler | None = None,
        batch_handler: BatchHandler | None = None,
        producer: AIOKafkaProducer,
        max_records: int = 500,
        after_commit: Callable[[list[IncomingMessage]], Awaitable[None]] | None = None,
    ) -> None:
        """`after_commit` runs after the database commit and before the offset commit (metrics, tests)."""
        self._consumer = AIOKafkaConsumer(
            *topics,
            bootstrap_servers=bootstrap_servers,
            group_id=group_id,
            client_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
        )
        self._group_id = group_id
        self._sessions = session_factory
        if (handler is None) == (batch_handler is None):
            raise ValueError("give a handler (one message at a time) or a batch_handler (the whole batch)")
        self._handler = handler
        self._batch_handler = batch_handler
        self._producer = producer
        self._max_records = max_records
        self._after_commit = after_commit
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        await self._consumer.start()

    async def stop(self) -> None:
        """Ask the loop to finish its current batch; run() returns after committing it."""
        self._stopping.set()

    async def close(self) -> None:
        await self._consumer.stop()

    async def run(self) -> None:
        backoff = 0.5
        while not self._stopping.is_set():
            batches = await self._consumer.getmany(timeout_ms=200, max_records=self._max_records)
            records = [r for rs in batches.values() for r in rs]
            if not records:
                continue
            try:
                await self.process(records)
                backoff = 0.5
            except Exception as exc:
                log.warning("batch_failed_will_retry", error=type(exc).__name__, detail=str(exc)[:300])
                self._rewind(records)
                await asyncio.sleep(backoff)
                backoff = next_backoff(backoff)

    async def process(self, records: list[ConsumerRecord]) -> None:
        """Process one batch end to end: database transaction, dead letters, offset commit."""
        batch = self._parse(records)
        try:
            applied = await self._apply(batch.parsed)
        except InvalidMessage:
            # One message was rejected by the handler: find it by going one message per transaction.
            applied = []
            for record, message in batch.parsed:
                try:
                    applied += await self._apply([(record, message)])
                except InvalidMessage as exc:
                    batch.dead.append((record, exc))
        if self._after_commit is not None:
            await self._after_commit(applied)
        await self._send_dead_letters(batch.dead)
        await self._commit_offsets(records)

    def _parse(self, records: list[ConsumerRecord]) -> _Batch:
        batch = _Batch(records)
        for record in records:
            try:
                event = parse_kafka_message(record.value, record.headers)
            except InvalidMessage as exc:
                batch.dead.append((record, exc))
                continue
            key = record.key.decode("utf-8", "replace") if record.key is not None else None
            batch.parsed.append((record, IncomingMessage(record.topic, record.partition, record.offset, key, event)))
        return batch

    async def _apply(self, parsed: list[tuple[ConsumerRecord, IncomingMessage]]) -> list[IncomingMessage]:
        """One transaction: claim identities in the inbox, handle the new ones, commit."""
        if not parsed:
            return []
        applied = []
        async with self._sessions() as session, session.begin():
            fresh = await claim_new(session, self._group_id, [m.event.identity for _, m in parsed])
            for _, message in parsed:
                if message.event.identity not in fresh:
                    CONSUMED.labels(message.topic, "duplicate").inc()
                    continue
                fresh.discard(message.event.identity)  # the same event twice in one batch: handle it once
                applied.append(message)
            if self._batch_handler is not None:
                await self._batch_handler(applied, session)
            else:
                for message in applied:
                    bind_correlation(
                        message_id=message.event.id, correlation_id=message.event.extension("correlationid")
                    )
                    try:
                        await self._handler(message, session)
                    finally:
                        clear_correlation()
        for message in applied:
            CONSUMED.labels(message.topic, "processed").inc()
        return applied

    async def _send_dead_letters(self, dead: list[tuple[ConsumerRecord, InvalidMessage]]) -> None:
        deliveries = []
        for record, error in dead:
            headers = [*record.headers, *_error_headers(record, error)]
            deliveries.append(
                await self._producer.send(dlq_topic(record.topic), value=record.value, key=record.key, headers=headers)
            )
            DEAD_LETTERED.labels(record.topic, error.reason).inc()
            CONSUMED.labels(record.topic, "dead_lettered").inc()
            log.warning(
                "message_dead_lettered",
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
                reason=error.reason,
                detail=error.detail[:500],
            )
        await asyncio.gather(*deliveries)

    async def _commit_offsets(self, records: list[ConsumerRecord]) -> None:
        highest: dict[TopicPartition, int] = {}
        for r in records:
            tp = TopicPartition(r.topic, r.partition)
            highest[tp] = max(highest.get(tp, -1), r.offset)
        await self._consumer.commit({tp: offset + 1 for tp, offset in highest.items()})

    def _rewind(self, records: list[ConsumerRecord]) -> None:
        lowest: dict[TopicPartition, int] = {}
        for r in records:
            tp = TopicPartition(r.topic, r.partition)
            lowest[tp] = min(lowest.get(tp, r.offset), r.offset)
        for tp, offset in lowest.items():
            if tp in self._consumer.assignment():
                self._consumer.seek(tp, offset)


def _error_headers(record: ConsumerRecord, error: InvalidMessage) -> list[tuple[str, bytes]]:
    return [
        ("error.reason", error.reason.encode()),
        ("error.detail", error.detail[:2000].encode()),
        ("error.at", datetime.now(UTC).isoformat().encode()),
        ("error.topic", record.topic.encode()),
        ("error.partition", str(record.partition).encode()),
        ("error.offset", str(record.offset).encode()),
    ]
