"""Re-drive dead letters after a fix: move messages from `<topic>.dlq` back to `<topic>`, unchanged but for
the error headers, which are dropped. Progress is a consumer group on the DLQ, so a message is re-driven
once; stops when the DLQ has nothing more (or after --limit messages).

    python -m orchestrator redrive-dlq --topic subscription.cancelled [--limit 100]
"""

import argparse
import asyncio

from aiokafka import AIOKafkaConsumer

from orchestrator.config import Settings
from shared.events.topics import dlq_topic
from shared.messaging.producer import create_producer


async def redrive(
    bootstrap_servers: str, topic: str, *, limit: int | None = None, idle_ms: int = 2000, options: dict | None = None
) -> int:
    """Returns how many messages were re-published to `topic`. `options`: Kafka security options."""
    consumer = AIOKafkaConsumer(
        dlq_topic(topic),
        bootstrap_servers=bootstrap_servers,
        group_id=f"redrive-{topic}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **(options or {}),
    )
    producer = create_producer(bootstrap_servers, client_id="redrive-dlq", options=options)
    await consumer.start()
    await producer.start()
    moved = 0
    try:
        while limit is None or moved < limit:
            batch = await consumer.getmany(timeout_ms=idle_ms, max_records=min(500, (limit or 500) - moved) or 1)
            records = [r for rs in batch.values() for r in rs]
            if not records:
                break
            for record in records:
                headers = [(k, v) for k, v in record.headers if not k.startswith("error.")]
                await producer.send_and_wait(topic, record.value, key=record.key, headers=headers)
                moved += 1
            await consumer.commit()  # after the messages are safely back on the topic
    finally:
        await consumer.stop()
        await producer.stop()
    return moved


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m orchestrator redrive-dlq",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--topic", required=True, help="the original topic, e.g. subscription.cancelled")
    parser.add_argument("--limit", type=int, help="at most this many messages")
    args = parser.parse_args(argv)
    settings = Settings()
    moved = asyncio.run(
        redrive(settings.kafka_bootstrap_servers, args.topic, limit=args.limit, options=settings.kafka_options())
    )
    print(f"re-drove {moved} message(s) from {dlq_topic(args.topic)} to {args.topic}")
