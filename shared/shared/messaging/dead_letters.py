"""Dead letters: a message that cannot be handled goes to `<topic>.dlq` unchanged, with `error.*` headers
saying why, and a row in the service's own database records it: what support's attention list shows (topic,
reason, when, the message's key) without reading the DLQ topics. The row keeps no payload and no personal
data."""

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa
from aiokafka import ConsumerRecord
from prometheus_client import Counter
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.db.engine import metadata
from shared.events.envelope import InvalidMessage
from shared.events.topics import dlq_topic
from shared.logging import get_logger
from shared.messaging.producer import RenewableProducer
from shared.text import clean_line

log = get_logger(__name__)
DEAD_LETTERED = Counter("dlq_messages_total", "Messages sent to a dead-letter topic", ["topic", "reason"])

dead_letters = sa.Table(
    "dead_letters",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
    sa.Column("topic", sa.Text, nullable=False),
    sa.Column("partition", sa.Integer, nullable=False),
    sa.Column("offset", sa.BigInteger, nullable=False),
    sa.Column("key", sa.Text, nullable=True),  # the subscription id on our topics: an id, never personal data
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("detail", sa.Text, nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.UniqueConstraint("topic", "partition", "offset", name="uq_dead_letters_position"),
    sa.Index("ix_dead_letters_at", "at"),
)


@dataclass(frozen=True)
class DeadLetter:
    topic: str
    partition: int
    offset: int
    key: bytes | None
    reason: str
    detail: str


async def record(session: AsyncSession, letters: list[DeadLetter]) -> None:
    """Keep a row per dead letter; a redelivered batch records nothing twice (its position is unique)."""
    if letters:
        await session.execute(
            insert(dead_letters)
            .values(
                [
                    {
                        "topic": d.topic,
                        "partition": d.partition,
                        "offset": d.offset,
                        "key": clean_line(d.key.decode("utf-8", "replace"))[:200] if d.key is not None else None,
                        "reason": d.reason,
                        "detail": d.detail[:500],
                    }
                    for d in letters
                ]
            )
            .on_conflict_do_nothing()
        )


async def send(
    sessions: async_sessionmaker[AsyncSession],
    producer: RenewableProducer,
    dead: list[tuple[ConsumerRecord, InvalidMessage]],
) -> None:
    """Record these dead letters, then send each to its DLQ topic with the reason in its headers."""
    async with sessions() as session, session.begin():
        await record(session, [DeadLetter(r.topic, r.partition, r.offset, r.key, e.reason, e.detail) for r, e in dead])
    deliveries = []
    for message, error in dead:
        headers = [*message.headers, *_error_headers(message, error)]
        deliveries.append(
            await producer.send(dlq_topic(message.topic), value=message.value, key=message.key, headers=headers)
        )
        DEAD_LETTERED.labels(message.topic, error.reason).inc()
        log.warning(
            "message_dead_lettered",
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            reason=error.reason,
            detail=error.detail[:500],
        )
    await asyncio.gather(*deliveries)


def _error_headers(message: ConsumerRecord, error: InvalidMessage) -> list[tuple[str, bytes]]:
    return [
        ("error.reason", error.reason.encode()),
        ("error.detail", error.detail[:2000].encode("utf-8", "replace")),
        ("error.at", datetime.now(UTC).isoformat().encode()),
        ("error.topic", message.topic.encode()),
        ("error.partition", str(message.partition).encode()),
        ("error.offset", str(message.offset).encode()),
    ]


async def summary(session: AsyncSession, *, since: datetime, latest: int = 50) -> dict:
    """Counts per topic and reason since `since`, and the latest entries."""
    counts = await session.execute(
        sa.select(dead_letters.c.topic, dead_letters.c.reason, sa.func.count(), sa.func.max(dead_letters.c.at))
        .where(dead_letters.c.at >= since)
        .group_by(dead_letters.c.topic, dead_letters.c.reason)
        .order_by(sa.func.max(dead_letters.c.at).desc())
    )
    rows = await session.execute(sa.select(dead_letters).order_by(dead_letters.c.at.desc()).limit(latest))
    return {
        "since": since,
        "counts": [{"topic": t, "reason": r, "count": n, "last_at": at} for t, r, n, at in counts],
        "items": [
            {k: row._mapping[k] for k in ("topic", "partition", "offset", "key", "reason", "detail", "at")}
            for row in rows
        ],
    }
