"""The engine's pool hands out only live connections, without pinging PostgreSQL on every checkout."""

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.testing import wait_until

pytestmark = pytest.mark.integration

BACKEND = sa.text("SELECT pg_backend_pid()")


async def test_a_connection_the_server_ended_is_replaced_at_checkout(schema_engine: AsyncEngine) -> None:
    """What a PostgreSQL restart does to every pooled connection, done to one: without the checkout check
    the next statement fails with 'connection is closed'."""
    async with schema_engine.connect() as killer:
        async with schema_engine.connect() as victim:
            ended = await victim.scalar(BACKEND)
            driver = (await victim.get_raw_connection()).driver_connection
        # The victim is back in the pool, idle, as every connection is when PostgreSQL restarts.
        await killer.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": ended})

    async def noticed() -> bool:
        return driver.is_closed()

    await wait_until(noticed, within=5)
    async with schema_engine.connect() as first, schema_engine.connect() as second:
        assert ended not in {await first.scalar(BACKEND), await second.scalar(BACKEND)}


async def test_a_checkout_sends_nothing_to_the_server(schema_engine: AsyncEngine) -> None:
    """pool_pre_ping's BEGIN, empty query and ROLLBACK on every checkout are gone. (asyncpg's query logger sees
    the transaction statements and simple queries, not prepared ones such as our SELECT.)"""
    sent: list[str] = []
    async with schema_engine.connect() as conn:
        driver = (await conn.get_raw_connection()).driver_connection
        await conn.commit()
    driver.add_query_logger(lambda record: sent.append(record.query))
    for _ in range(3):
        async with schema_engine.connect() as conn:
            assert (await conn.get_raw_connection()).driver_connection is driver  # the one pooled connection
            await conn.execute(sa.text("SELECT 1"))
            await conn.commit()
    assert sent == ["BEGIN;", "COMMIT;"] * 3
