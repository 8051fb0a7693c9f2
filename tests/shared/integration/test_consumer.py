"""The batch consumer against the real broker and database: DLQ, binary mode, duplicates, crash recovery."""

import asyncio
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client import REGISTRY

from shared.events.envelope import InvalidMessage, new_event
from shared.messaging.consumer import BatchConsumer
from shared.testing import read_topic, wait_until

from .conftest import applied

pytestmark = pytest.mark.integration


async def record_applied(message, session):
    if message.event.type == "test.rejected":
        raise InvalidMessage("invalid_data", "the handler refuses test.rejected")
    await session.execute(
        sa.insert(applied).values(message_id=message.event.id, subscription_id=(message.event.data or {}).get("sub"))
    )


async def count_applied(engine) -> int:
    async with engine.connect() as conn:
        return await conn.scalar(sa.select(sa.func.count()).select_from(applied))


def cancelled(sub: str):
    return new_event("test.cancelled", "billing/test", {"sub": sub})


async def committed_offset(kafka_bootstrap: str, group: str, topic: str) -> int | None:
    probe = AIOKafkaConsumer(bootstrap_servers=kafka_bootstrap, group_id=group, enable_auto_commit=False)
    await probe.start()
    try:
        return await probe.committed(TopicPartition(topic, 0))
    finally:
        await probe.stop()


async def run_consumer(consumer: BatchConsumer, until) -> None:
    await consumer.start()
    task = asyncio.create_task(consumer.run())
    try:
        await wait_until(until)
    finally:
        await consumer.stop()
        await task
        await consumer.close()


def make_consumer(kafka_bootstrap, topic, group, sessions, producer, handler=record_applied, **kwargs) -> BatchConsumer:
    return BatchConsumer(
        bootstrap_servers=kafka_bootstrap,
        group_id=group,
        topics=[topic],
        session_factory=sessions,
        handler=handler,
        producer=producer,
        **kwargs,
    )


async def test_malformed_message_goes_to_the_dlq_and_the_next_is_processed(
    engine, sessions, producer, kafka_bootstrap, make_topics, unique_name
):
    (topic,) = await make_topics(f"{unique_name}.in")
    good_before, good_after = cancelled("sub_1"), cancelled("sub_2")
    rejected = new_event("test.rejected", "billing/test", {"sub": "sub_3"})
    await producer.send_and_wait(topic, good_before.to_json_bytes(), key=b"sub_1")
    await producer.send_and_wait(
        topic, b'{"specversion": "1.0", "id": ', key=b"sub_bad", headers=[("origin", b"billing")]
    )
    await producer.send_and_wait(topic, rejected.to_json_bytes(), key=b"sub_3")
    await producer.send_and_wait(topic, good_after.to_json_bytes(), key=b"sub_2")

    consumer = make_consumer(kafka_bootstrap, topic, unique_name, sessions, producer)
    await run_consumer(consumer, lambda: _count_is(engine, 2))

    dead = await read_topic(kafka_bootstrap, f"{topic}.dlq", until=lambda rs: len(rs) >= 2)
    by_key = {r.key: r for r in dead}
    malformed = dict(by_key[b"sub_bad"].headers)
    assert by_key[b"sub_bad"].value == b'{"specversion": "1.0", "id": ', "kept unchanged"
    assert malformed["error.reason"] == b"not_json"
    assert malformed["error.detail"] and malformed["error.at"]
    assert malformed["origin"] == b"billing", "original headers kept"
    assert dict(by_key[b"sub_3"].headers)["error.reason"] == b"invalid_data"
    async with engine.connect() as conn:
        subs = (await conn.scalars(sa.select(applied.c.subscription_id).order_by(applied.c.id))).all()
    assert subs == ["sub_1", "sub_2"]
    assert await committed_offset(kafka_bootstrap, unique_name, topic) == 4
    assert REGISTRY.get_sample_value("dlq_messages_total", {"topic": topic, "reason": "not_json"}) == 1


async def test_binary_mode_and_duplicates(engine, sessions, producer, kafka_bootstrap, make_topics, unique_name):
    (topic,) = await make_topics(f"{unique_name}.in")
    event = cancelled("sub_1")
    headers = [
        ("ce_specversion", b"1.0"),
        ("ce_id", event.id.encode()),
        ("ce_source", b"billing/test"),
        ("ce_type", b"test.cancelled"),
        ("ce_time", event.time.isoformat().encode()),
        ("content-type", b"application/json"),
    ]
    await producer.send_and_wait(topic, json.dumps(event.data).encode(), key=b"sub_1", headers=headers)
    # the same event again, in structured mode: same (source, id), so the same event
    await producer.send_and_wait(topic, event.to_json_bytes(), key=b"sub_1")
    marker = cancelled("sub_marker")
    await producer.send_and_wait(topic, marker.to_json_bytes(), key=b"sub_marker")

    consumer = make_consumer(kafka_bootstrap, topic, unique_name, sessions, producer)
    await run_consumer(consumer, lambda: _committed_is(kafka_bootstrap, unique_name, topic, 3))
    assert await count_applied(engine) == 2
    assert REGISTRY.get_sample_value("messages_consumed_total", {"topic": topic, "outcome": "duplicate"}) == 1


async def test_consumer_killed_between_database_commit_and_offset_commit_applies_once(
    engine, sessions, producer, kafka_bootstrap, make_topics, unique_name, database_url
):
    (topic,) = await make_topics(f"{unique_name}.in")
    await producer.send_and_wait(topic, cancelled("sub_1").to_json_bytes(), key=b"sub_1")

    # A real process, SIGKILLed by its own after_commit hook: effects committed, offset not.
    env = {
        **os.environ,
        "T_BOOTSTRAP": kafka_bootstrap,
        "T_DATABASE_URL": database_url,
        "T_SCHEMA": unique_name,
        "T_TOPIC": topic,
        "T_GROUP": unique_name,
    }
    crashed = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, str(Path(__file__).with_name("crashing_consumer.py"))],
        env=env,
        timeout=60,
        capture_output=True,
    )
    assert crashed.returncode == -9, crashed.stderr.decode()[-2000:]
    assert await count_applied(engine) == 1
    assert await committed_offset(kafka_bootstrap, unique_name, topic) is None

    # Restarted, the group gets the message again; the inbox recognises it.
    consumer = make_consumer(kafka_bootstrap, topic, unique_name, sessions, producer)
    await run_consumer(consumer, lambda: _committed_is(kafka_bootstrap, unique_name, topic, 1))
    assert await count_applied(engine) == 1
    assert REGISTRY.get_sample_value("messages_consumed_total", {"topic": topic, "outcome": "duplicate"}) == 1


async def _count_is(engine, n: int) -> bool:
    return await count_applied(engine) == n


async def _committed_is(kafka_bootstrap, group, topic, offset) -> bool:
    return await committed_offset(kafka_bootstrap, group, topic) == offset


async def fail_on_poison(message, session):
    """A handler with a bug that one message triggers every time (not a validation error: an exception)."""
    if (message.event.data or {}).get("sub") == "poison":
        raise KeyError("email")
    await record_applied(message, session)


async def test_a_message_whose_handler_keeps_failing_is_dead_lettered_and_the_rest_go_on(
    engine, sessions, producer, kafka_bootstrap, make_topics, unique_name
):
    (topic,) = await make_topics(f"{unique_name}.in", partitions=3)
    subs = [f"sub_{n}" for n in range(9)]
    for n, sub in enumerate(subs):
        if n == 4:
            await producer.send_and_wait(topic, cancelled("poison").to_json_bytes(), partition=1, key=b"poison")
        await producer.send_and_wait(topic, cancelled(sub).to_json_bytes(), partition=n % 3, key=sub.encode())

    consumer = make_consumer(
        kafka_bootstrap, topic, unique_name, sessions, producer, fail_on_poison, max_attempts=3, retry_delay=0.01
    )
    await run_consumer(consumer, lambda: _count_is(engine, 9))
    (dead,) = await read_topic(kafka_bootstrap, f"{topic}.dlq", until=lambda rs: len(rs) >= 1)
    headers = dict(dead.headers)
    assert dead.key == b"poison" and headers["error.reason"] == b"processing_failed"
    assert headers["error.detail"] == b"KeyError: 'email' (failed 3 times)"
    assert REGISTRY.get_sample_value("consumer_handler_retries_total", {"topic": topic}) == 2
    async with engine.connect() as conn:
        done = set((await conn.scalars(sa.select(applied.c.subscription_id))).all())
    assert done == set(subs)


async def test_the_same_identity_with_other_content_keeps_the_first_and_dead_letters_the_second(
    engine, sessions, producer, kafka_bootstrap, make_topics, unique_name
):
    (topic,) = await make_topics(f"{unique_name}.in")
    first = cancelled("sub_first")
    impostor = first.model_copy(update={"data": {"sub": "sub_impostor"}})
    await producer.send_and_wait(topic, first.to_json_bytes(), key=b"a")
    await producer.send_and_wait(topic, first.to_json_bytes(), key=b"a")  # a plain redelivery: skipped
    await producer.send_and_wait(topic, impostor.to_json_bytes(), key=b"b")
    consumer = make_consumer(kafka_bootstrap, topic, unique_name, sessions, producer)
    await run_consumer(consumer, lambda: _committed_is(kafka_bootstrap, unique_name, topic, 3))

    (dead,) = await read_topic(kafka_bootstrap, f"{topic}.dlq", until=lambda rs: len(rs) >= 1)
    assert dead.key == b"b" and dict(dead.headers)["error.reason"] == b"conflicting_duplicate"
    async with engine.connect() as conn:
        assert (await conn.scalars(sa.select(applied.c.subscription_id))).all() == ["sub_first"]
    assert REGISTRY.get_sample_value("messages_consumed_total", {"topic": topic, "outcome": "duplicate"}) == 1


async def test_a_consumer_that_cannot_advance_says_so_in_its_health_and_metrics(
    engine, sessions, producer, kafka_bootstrap, make_topics, unique_name
):
    (topic,) = await make_topics(f"{unique_name}.in")
    database_away = True

    async def flaky(message, session):
        if database_away:
            raise ConnectionRefusedError("the database is away")  # transient: hold the partition and retry
        await record_applied(message, session)

    await producer.send_and_wait(topic, cancelled("sub_1").to_json_bytes(), key=b"sub_1")
    consumer = make_consumer(kafka_bootstrap, topic, unique_name, sessions, producer, flaky, stall_seconds=1.0)
    await consumer.start()
    task = asyncio.create_task(consumer.run())
    try:
        await wait_until(lambda: _async(consumer.health().startswith("stalled")), within=30)
        assert f"{topic}[0] not advanced" in consumer.health() and "ConnectionRefusedError" in consumer.health()
        labels = {"group": unique_name, "topic": topic, "partition": "0"}
        assert REGISTRY.get_sample_value("consumer_lag", labels) == 1
        assert REGISTRY.get_sample_value("consumer_stalled_seconds", labels) >= 1
        assert REGISTRY.get_sample_value("consumer_oldest_unprocessed_age_seconds", labels) >= 1
        assert REGISTRY.get_sample_value("consumer_failures_in_row", {"group": unique_name}) >= 1
        assert await count_applied(engine) == 0, "nothing skipped while the infrastructure is away"
        database_away = False
        await wait_until(lambda: _async(consumer.health() == "ok"), within=30)
        assert await count_applied(engine) == 1
        assert REGISTRY.get_sample_value("consumer_lag", labels) == 0
    finally:
        await consumer.stop()
        await task
        await consumer.close()


async def _async(value):
    return value


async def test_a_stop_ends_a_retry_wait_at_once_and_commits_nothing_of_that_batch(
    engine, sessions, producer, kafka_bootstrap, make_topics, unique_name
):
    """SIGTERM while a failing message waits for its next attempt (here a minute away): the consumer stops now,
    as a pod's grace period expects, and leaves the batch to be consumed again (the inbox skips what is done)."""
    (topic,) = await make_topics(f"{unique_name}.in", partitions=1)
    await producer.send_and_wait(topic, cancelled("poison").to_json_bytes(), key=b"poison")
    consumer = make_consumer(
        kafka_bootstrap, topic, unique_name, sessions, producer, fail_on_poison, max_attempts=3, retry_delay=60
    )
    await consumer.start()
    task = asyncio.create_task(consumer.run())

    async def retrying() -> bool:
        return REGISTRY.get_sample_value("consumer_handler_retries_total", {"topic": topic}) == 1

    try:
        await wait_until(retrying)
        await consumer.stop()
        await asyncio.wait_for(task, 5)
    finally:
        task.cancel()
        await consumer.close()
    assert await committed_offset(kafka_bootstrap, unique_name, topic) is None


async def test_a_backlog_drains_without_waiting_for_the_brokers_hold_on_a_quiet_topic(
    engine, sessions, producer, kafka_bootstrap, make_topics, unique_name
):
    """The orchestrator's consumer reads a busy topic and a quiet one (reactivations). aiokafka fetched the quiet
    topic's partitions on their own while the busy one's records were being handled; the broker holds such a fetch
    for the consumer's whole fetch wait, and no other fetch goes to that broker meanwhile: with thousands waiting
    in Kafka, the consumer sat idle for most of two seconds (seen at the start of every burst)."""
    busy, quiet = await make_topics(f"{unique_name}.busy", f"{unique_name}.quiet")
    padding = "x" * 1000  # more than one fetch's worth (1 MiB a partition), so the drain needs several fetches
    events = 3000
    for n in range(events):
        event = new_event("test.cancelled", "billing/test", {"sub": f"sub_{n}", "padding": padding})
        await producer.send(busy, event.to_json_bytes(), key=f"sub_{n}".encode())
    await producer.flush()
    applied_at: list[float] = []

    async def note_batch(messages) -> None:
        applied_at.append(asyncio.get_running_loop().time())

    consumer = BatchConsumer(
        bootstrap_servers=kafka_bootstrap,
        group_id=unique_name,
        topics=[busy, quiet],
        session_factory=sessions,
        handler=record_applied,
        producer=producer,
        after_commit=note_batch,
    )
    await run_consumer(consumer, lambda: _count_is(engine, events))

    gaps = [later - earlier for earlier, later in itertools.pairwise(applied_at)]
    assert max(gaps) < 1.0, f"a pause of {max(gaps):.2f} s between batches while records waited in Kafka"
