"""Helpers for the services' integration tests: wait for a condition, read what a topic holds."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from aiokafka import AIOKafkaConsumer, ConsumerRecord

from shared.runtime import Runtime, start, stop


async def wait_until(condition: Callable[[], Awaitable[bool]], *, within: float = 20.0, every: float = 0.05) -> None:
    """Poll `condition` until it holds; raise AssertionError at the deadline. No sleep-then-assert."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await condition():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(every)


async def read_topic(
    bootstrap_servers: str, topic: str, *, until: Callable[[list[ConsumerRecord]], bool], within: float = 20.0
) -> list[ConsumerRecord]:
    """Read `topic` from the beginning (no consumer group) until `until(records)` holds or time runs out."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap_servers,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[ConsumerRecord] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not until(records):
            if loop.time() > deadline:
                raise AssertionError(f"{topic}: condition not met within {within} s; got {len(records)} records")
            batches = await consumer.getmany(timeout_ms=200)
            for batch in batches.values():
                records.extend(batch)
    finally:
        await consumer.stop()
    return records


@contextlib.asynccontextmanager
async def running(runtime: Runtime, service_dir: Path) -> AsyncIterator[Runtime]:
    """A service's consumers and loops running in this process (migrated, topics created) for a test."""
    tasks = await start(runtime, service_dir)
    try:
        yield runtime
    finally:
        await stop(runtime, tasks)
