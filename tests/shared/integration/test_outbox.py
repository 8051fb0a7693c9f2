"""The outbox relay against the real broker and database: once, in order per key, nothing from a rollback."""

import asyncio
import json

import pytest
import sqlalchemy as sa

from shared.events.envelope import new_event
from shared.outbox.relay import OutboxRelay
from shared.outbox.table import add_many_to_outbox, add_to_outbox, outbox
from shared.testing import read_topic, wait_until

pytestmark = pytest.mark.integration


def event(key: str, n: int):
    return new_event("test.happened", "tests", {"key": key, "n": n})


async def test_rows_are_published_once_and_in_order_per_key(
    engine, sessions, producer, kafka_bootstrap, make_topics, unique_name
):
    (topic,) = await make_topics(f"{unique_name}.events", partitions=3)
    keys = ["sub_a", "sub_b", "sub_c", "sub_d"]
    # 4 keys x 25 events, interleaved, committed in 10 separate transactions
    for chunk in range(10):
        async with sessions() as session, session.begin():
            await add_many_to_outbox(
                session, [(topic, k, event(k, chunk * 10 + i)) for i in range(10) for k in keys[: (i % 4) + 1]]
            )
    async with engine.connect() as conn:
        total = await conn.scalar(sa.select(sa.func.count()).select_from(outbox))
    # Two relays at once, as with two replicas: the advisory lock lets one publish at a time.
    relays = [OutboxRelay(engine, producer, schema=unique_name, batch_size=7) for _ in range(2)]
    runs = [asyncio.create_task(r.run()) for r in relays]
    try:
        records = await read_topic(kafka_bootstrap, topic, until=lambda rs: len(rs) >= total)
        # The relay marks rows after the broker acknowledged them, so the marks may trail the reads.
        await wait_until(lambda: _all_marked_published(engine))
    finally:
        for r in relays:
            r.stop()
        await asyncio.gather(*runs)
    ids = [json.loads(r.value)["id"] for r in records]
    assert len(ids) == len(set(ids)) == total, "every row published exactly once"
    for key in keys:
        ns = [json.loads(r.value)["data"]["n"] for r in records if r.key == key.encode()]
        assert ns == sorted(ns), f"{key} out of order: {ns}"
        assert ns, key


async def _all_marked_published(engine) -> bool:
    async with engine.connect() as conn:
        return not await conn.scalar(sa.select(sa.func.count()).where(outbox.c.published_at.is_(None)))


async def test_a_rolled_back_transaction_publishes_nothing(
    engine, sessions, producer, kafka_bootstrap, make_topics, unique_name
):
    (topic,) = await make_topics(f"{unique_name}.events")
    session = sessions()
    async with session:
        await session.begin()
        await add_to_outbox(session, topic=topic, key="sub_x", event=event("sub_x", 1))
        await session.rollback()
    # A committed marker after the rolled-back write: once it is out, the relay has passed that point.
    async with sessions() as session, session.begin():
        await add_to_outbox(session, topic=topic, key="marker", event=event("marker", 2))
    relay = OutboxRelay(engine, producer, schema=unique_name)
    published = await relay.publish_batch()
    records = await read_topic(kafka_bootstrap, topic, until=lambda rs: any(r.key == b"marker" for r in rs))
    assert published == 1
    assert [r.key for r in records] == [b"marker"]
