"""Batch consumer: getmany, one database transaction per batch, offsets committed only after it commits.

For each batch: every record is parsed as a CloudEvent (unreadable ones go to `<topic>.dlq` unchanged, with
`error.*` headers); the batch's identities are claimed in the inbox; new messages go to the handler, all in
one transaction. After the commit, dead letters are sent, then the batch's offsets are held for committing
to Kafka (`shared.messaging.offsets`: at most every `commit_every` seconds, when idle, and when stopping).

No single message stops the consumer. When a batch fails:
- a transient error (database or Kafka away, serialization failure, deadlock: `shared.errors.is_transient`)
  rolls the batch back, rewinds and retries it with backoff: nothing is skipped while the infrastructure is
  away, and the stall shows in /readyz and the `consumer_*` metrics;
- any other error splits the batch in halves until the failing message stands alone (the others commit in
  their halves); that message is retried alone `max_attempts` times in all, then dead-lettered with reason
  `processing_failed`. A handler that rejects a message outright (InvalidMessage) dead-letters it at once.
A message that reuses an identity with other content is dead-lettered as `conflicting_duplicate`. On internal
topics an `authenticate` hook first refuses what its producer did not sign (shared.messaging.authenticity).
"""

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared import tracing
from shared.errors import describe, is_transient
from shared.events.envelope import CloudEvent, InvalidMessage, parse_kafka_message
from shared.inbox.table import Fingerprint, claim_new, fingerprint
from shared.logging import bind_correlation, clear_correlation, get_logger
from shared.messaging import dead_letters as dead_letter_log
from shared.messaging.offsets import HeldOffsets, next_offsets
from shared.messaging.producer import RenewableProducer
from shared.messaging.progress import Progress
from shared.worker import next_backoff

log = get_logger(__name__)
IDLE_POLL_MS = 5000  # how long a round waits for records when there are none (a stop ends the wait at once)
FETCH_MAX_WAIT_MS = 2000
FETCHER_TICK_MS = 5000

CONSUMED = Counter("messages_consumed_total", "Messages consumed, by outcome", ["topic", "outcome"])
HANDLER_RETRIES = Counter(
    "consumer_handler_retries_total", "A message retried alone after its handler failed", ["topic"]
)


class StoppedMidBatch(Exception):
    """A stop came while a message of the batch waited to be retried: the batch is given up, not committed."""


@dataclass(frozen=True)
class IncomingMessage:
    """A parsed message and where it came from."""

    topic: str
    partition: int
    offset: int
    key: str | None
    event: CloudEvent


Handler = Callable[[IncomingMessage, AsyncSession], Awaitable[None]]
# Runs first in each batch's transaction: None (go on) or why a record is refused (shared.messaging.authenticity).
Authenticator = Callable[
    [AsyncSession, list[tuple[ConsumerRecord, CloudEvent]]], Awaitable[list[InvalidMessage | None]]
]
# Takes the batch's new messages at once, for set-based work (one statement for many messages).
BatchHandler = Callable[[list[IncomingMessage], AsyncSession], Awaitable[None]]
Item = tuple[ConsumerRecord, IncomingMessage]


@dataclass
class _Batch:
    records: list[ConsumerRecord]
    parsed: list[Item] = field(default_factory=list)
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
        producer: "AIOKafkaProducer | RenewableProducer",
        max_records: int = 500,
        max_attempts: int = 3,
        retry_delay: float = 0.2,
        stall_seconds: float = 60.0,
        kafka_options: dict | None = None,
        after_commit: Callable[[list[IncomingMessage]], Awaitable[None]] | None = None,
        commit_every: float = 0.5,
        authenticate: Authenticator | None = None,
        fingerprint: Fingerprint = fingerprint,
    ) -> None:
        """`after_commit` runs after the database commit and before the offset commit (metrics, tests);
        `authenticate` before the inbox claim, in the batch's transaction: a record it refuses is dead-lettered
        unhandled and leaves no inbox row."""
        self._consumer = AIOKafkaConsumer(
            *topics,
            bootstrap_servers=bootstrap_servers,
            group_id=group_id,
            client_id=group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            # The broker answers a fetch the moment records arrive; on a quiet day it holds it this long, so an idle
            # consumer asks once in this time instead of twice a second (aiokafka's default 500 ms).
            fetch_max_wait_ms=FETCH_MAX_WAIT_MS,
            # aiokafka's fetch loop also wakes on this timer (default 200 ms) to look for work no future signals;
            # fetch answers, consumption and rebalances wake it at once, so on a quiet day it only burns CPU.
            consumer_timeout_ms=FETCHER_TICK_MS,
            **(kafka_options or {}),
        )
        self._group_id = group_id
        self._sessions = session_factory
        if (handler is None) == (batch_handler is None):
            raise ValueError("give a handler (one message at a time) or a batch_handler (the whole batch)")
        self._handler = handler
        self._batch_handler = batch_handler
        self._producer = producer
        self._max_records = max_records
        self._max_attempts, self._retry_delay = max(max_attempts, 1), retry_delay
        self._after_commit = after_commit
        self._authenticate = authenticate
        self._fingerprint = fingerprint  # what "the same content" is for a redelivery (shared.inbox.table)
        self._stopping = asyncio.Event()
        self._polling: asyncio.Future | None = None
        self._progress = Progress(group_id, stall_seconds=stall_seconds)
        self._stalled: list[str] = []
        self._offsets = HeldOffsets(self._consumer, commit_every=commit_every)

    @property
    def group_id(self) -> str:
        return self._group_id

    async def start(self) -> None:
        await self._consumer.start()
        _no_lone_prefetch(self._consumer)

    async def stop(self) -> None:
        """Ask the loop to finish its current batch; run() returns after committing it."""
        self._stopping.set()
        if self._polling is not None:
            self._polling.cancel()  # a quiet round's wait ends now; fetched records stay unread, offsets unmoved

    async def _poll(self) -> dict | None:
        """One round's records, or None when stop() ended the wait. The wait is a task of its own so that a stop
        ends it at once: a long wait then costs a quiet consumer fewer wakeups without delaying a shutdown."""
        self._polling = asyncio.ensure_future(
            self._consumer.getmany(timeout_ms=IDLE_POLL_MS, max_records=self._max_records)
        )
        try:
            return await self._polling
        except asyncio.CancelledError:
            if self._stopping.is_set() and not asyncio.current_task().cancelling():
                return None
            raise
        finally:
            self._polling = None

    async def close(self) -> None:
        await self._consumer.stop()

    def health(self) -> str:
        """'ok', or why this consumer is not advancing: what /readyz reports."""
        if not self._stalled:
            return "ok"
        error = f"; last error {self._progress.last_error}" if self._progress.last_error else ""
        return f"stalled: {', '.join(self._stalled)} ({self._progress.failures_in_row} failures in a row{error})"

    async def run(self) -> None:
        backoff = 0.5
        while not self._stopping.is_set():
            records: list[ConsumerRecord] = []
            try:
                # A long poll: records are handed over the moment they arrive; the timeout only bounds a quiet round.
                batches = await self._poll()
                if batches is None:
                    break  # stopped while waiting
                records = [r for rs in batches.values() for r in rs]
                if records:
                    self._progress.fetched(records)
                    await self.process(records)
                    backoff = 0.5
                if not records or self._offsets.due():
                    await self._offsets.commit()
            except StoppedMidBatch:
                self._offsets.rewind(records)  # none of this batch's offsets is committed
                break
            except Exception as exc:
                self._progress.failed(describe(exc))
                if hasattr(self._producer, "renew_after"):  # dead letters go through the service's producer
                    with contextlib.suppress(Exception):
                        await self._producer.renew_after(exc)
                log.warning(
                    "batch_failed_will_retry",
                    error=describe(exc),
                    transient=is_transient(exc),
                    failures_in_row=self._progress.failures_in_row,
                )
                self._offsets.rewind(records)
                with contextlib.suppress(TimeoutError):  # a stop ends the backoff too
                    await asyncio.wait_for(self._stopping.wait(), backoff)
                backoff = next_backoff(backoff)
            finally:
                self._observe()
        with contextlib.suppress(Exception):  # a crash would redeliver these too; the inbox dedups them
            await self._offsets.commit()

    async def process(self, records: list[ConsumerRecord]) -> None:
        """Process one batch end to end: database transactions, dead letters, its offsets held for the commit."""
        batch = self._parse(records)
        applied = await self._isolate(batch.parsed, batch.dead)
        if self._after_commit is not None:
            await self._after_commit(applied)
        await self._send_dead_letters(batch.dead)
        self._processed(records)

    def _parse(self, records: list[ConsumerRecord]) -> _Batch:
        batch = _Batch(records)
        for record in records:
            try:
                event = parse_kafka_message(record.value, record.headers)
            except InvalidMessage as exc:
                batch.dead.append((record, exc))
                continue
            except Exception as exc:  # a parser bug must not stop the partition either
                batch.dead.append((record, InvalidMessage("unreadable", describe(exc))))
                continue
            key = record.key.decode("utf-8", "replace") if record.key is not None else None
            batch.parsed.append((record, IncomingMessage(record.topic, record.partition, record.offset, key, event)))
        return batch

    async def _isolate(self, items: list[Item], dead: list) -> list[IncomingMessage]:
        """Apply `items` in one transaction; on a non-transient failure, split until the culprit stands alone."""
        if not items:
            return []
        try:
            return await self._apply(items, dead)
        except Exception as exc:
            if is_transient(exc):
                raise
            if len(items) == 1:
                return await self._retry_alone(items[0], exc, dead)
            log.info("batch_split_to_isolate_a_failure", size=len(items), error=describe(exc))
            middle = len(items) // 2
            return await self._isolate(items[:middle], dead) + await self._isolate(items[middle:], dead)

    async def _retry_alone(self, item: Item, error: Exception, dead: list) -> list[IncomingMessage]:
        """The message failed alone once; try it again, with backoff, up to `max_attempts` in all."""
        record, attempts = item[0], 1
        while not isinstance(error, InvalidMessage) and attempts < self._max_attempts:
            HANDLER_RETRIES.labels(record.topic).inc()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self._retry_delay * 2 ** (attempts - 1))
            if self._stopping.is_set():
                raise StoppedMidBatch  # the batch is redelivered to whoever consumes next; the inbox skips what is done
            attempts += 1
            try:
                return await self._apply([item], dead)
            except Exception as exc:
                if is_transient(exc):
                    raise
                error = exc
        if isinstance(error, InvalidMessage):
            dead.append((record, error))
        else:
            detail = f"{describe(error)} (failed {attempts} times)"
            dead.append((record, InvalidMessage("processing_failed", detail)))
        return []

    async def _apply(self, items: list[Item], dead: list) -> list[IncomingMessage]:
        """One transaction: claim identities in the inbox, handle the new ones, commit."""
        applied, conflicting, refused = [], [], []
        traced = tracing.is_recording()
        with tracing.handling([tracing.message(r, m.event, m.key, self._group_id) for r, m in items if traced]):
            async with self._sessions() as session, session.begin():
                if self._authenticate is not None:
                    verdicts = await self._authenticate(session, [(r, m.event) for r, m in items])
                    refused = [(item[0], v) for item, v in zip(items, verdicts, strict=True) if v is not None]
                    items = [item for item, v in zip(items, verdicts, strict=True) if v is None]
                await self._claim_and_handle(session, items, applied, conflicting)
        dead.extend(refused)
        for message in applied:
            CONSUMED.labels(message.topic, "processed").inc()
        for record in conflicting:
            log.warning("conflicting_duplicate", topic=record.topic, partition=record.partition, offset=record.offset)
            detail = "an earlier event with this source and id had other content; the first one was kept"
            dead.append((record, InvalidMessage("conflicting_duplicate", detail)))
        return applied

    async def _claim_and_handle(self, session: AsyncSession, items: list[Item], applied: list, conflicting: list):
        """Claim the identities in the inbox and hand the fresh messages to the handler, in `session`'s
        transaction."""
        verdicts = await claim_new(session, self._group_id, [m.event for _, m in items], fingerprint=self._fingerprint)
        for (record, message), verdict in zip(items, verdicts, strict=True):
            if verdict == "fresh":
                applied.append(message)
            elif verdict == "conflicting":
                conflicting.append(record)
            else:
                CONSUMED.labels(message.topic, "duplicate").inc()
        if self._batch_handler is not None:
            await self._batch_handler(applied, session)
        else:
            for message in applied:
                bind_correlation(message_id=message.event.id)
                try:
                    await self._handler(message, session)
                finally:
                    clear_correlation()

    async def _send_dead_letters(self, dead: list[tuple[ConsumerRecord, InvalidMessage]]) -> None:
        if dead:
            await dead_letter_log.send(self._sessions, self._producer, dead)
            for record, _ in dead:
                CONSUMED.labels(record.topic, "dead_lettered").inc()

    def _processed(self, records: list[ConsumerRecord]) -> None:
        """The batch's effects are committed in the database: its offsets may be committed to Kafka."""
        offsets = next_offsets(records)
        self._offsets.hold(offsets)
        self._progress.committed(offsets)  # the consumer advanced; the Kafka commit is bookkeeping

    def _observe(self) -> None:
        self._stalled = self._progress.observe({tp: self._consumer.highwater(tp) for tp in self._consumer.assignment()})


def _no_lone_prefetch(consumer: AIOKafkaConsumer) -> None:
    """aiokafka sends a broker a fetch for its other partitions 100 ms after records of one were buffered and not
    yet handed over (`prefetch_backoff`, not a consumer option). Those others are the caught-up ones (a quiet
    topic's: the orchestrator's reactivations), so the broker holds that fetch for the whole FETCH_MAX_WAIT_MS, and
    aiokafka sends that broker nothing else meanwhile: a consumer that had handled its buffer sat idle for up to
    2 s with thousands of records waiting (the start of every burst). Held back as long as the broker would hold
    it, the prefetch no longer goes out while a backlog is being handled; a buffer handed over sooner (every
    round takes up to `max_records` of it) starts the next fetch at once. aiokafka is pinned (uv.lock); the test
    `test_a_backlog_drains_without_waiting_for_the_brokers_hold_on_a_quiet_topic` fails if this stops working."""
    fetcher = getattr(consumer, "_fetcher", None)
    if fetcher is not None and hasattr(fetcher, "_prefetch_backoff"):
        fetcher._prefetch_backoff = FETCH_MAX_WAIT_MS / 1000
