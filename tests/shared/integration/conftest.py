"""Fixtures for the shared package's integration tests: a schema holding the outbox, the inbox and a test table."""

from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db.engine import create_session_factory
from shared.inbox.table import inbox
from shared.messaging.dead_letters import dead_letters
from shared.messaging.producer import create_producer
from shared.outbox.table import outbox

pytestmark = pytest.mark.integration

# What the test handlers write: one row per message they applied.
applied = sa.Table(
    "applied",
    sa.MetaData(),
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("message_id", sa.Text, nullable=False),
    sa.Column("subscription_id", sa.Text),
)


@pytest.fixture
async def engine(schema_engine: AsyncEngine) -> AsyncEngine:
    async with schema_engine.begin() as conn:
        await conn.run_sync(lambda c: outbox.metadata.create_all(c, tables=[outbox, inbox, dead_letters]))
        await conn.run_sync(applied.metadata.create_all)
    return schema_engine


@pytest.fixture
def sessions(engine: AsyncEngine):
    return create_session_factory(engine)


@pytest.fixture
async def producer(kafka_bootstrap: str) -> AsyncIterator:
    p = create_producer(kafka_bootstrap, client_id="tests")
    await p.start()
    yield p
    await p.stop()
