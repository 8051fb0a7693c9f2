"""Upgrading a notifier whose address hashes were plain SHA-256 (migrations up to 0010): migration 0011 re-keys
them with NOTIFIER_ADDRESS_KEY, so an address suppressed before the upgrade stays suppressed after it, and the
table no longer holds a hash anyone can test an address against. Without the key it refuses, saying why."""

import asyncio

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy.ext.asyncio import create_async_engine

from notifier.bootstrap import bootstrap
from shared.db.migrations import alembic_config
from shared.personal import address_hash, keyed_address_hash

from .conftest import SERVICE_DIR, Orchestrator, running, send_message

pytestmark = pytest.mark.integration
KEY = "the-address-key-of-this-deployment"


async def sql(database_url: str, schema: str, statement: str, **values) -> list:
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(sa.text(f'SET search_path TO "{schema}"'))
            result = await connection.execute(sa.text(statement), values)
            return result.all() if result.returns_rows else []
    finally:
        await engine.dispose()


def upgrade(database_url: str, schema: str, revision: str, secrets: dict | None = None) -> None:
    config = alembic_config(SERVICE_DIR, database_url=database_url, schema=schema, secrets=secrets)
    command.upgrade(config, revision)


async def test_an_address_suppressed_before_the_upgrade_stays_suppressed(settings_for, database_url, unique_name):
    suppressed = f"{unique_name}@bounced.example"
    await asyncio.to_thread(upgrade, database_url, unique_name, "0010")
    await sql(
        database_url,
        unique_name,
        "INSERT INTO suppressions (recipient_hash, reason, scope) VALUES (:hash, 'hard 5.1.1', 'all')",
        hash=address_hash(suppressed),
    )
    with pytest.raises(RuntimeError, match="NOTIFIER_ADDRESS_KEY"):  # rows to re-key, no key: nothing changes
        await asyncio.to_thread(upgrade, database_url, unique_name, "head")

    settings = settings_for(address_key=KEY)
    command_id, message = send_message(email_address=suppressed, step="access_ended")
    async with running(bootstrap(settings)), Orchestrator(settings) as orchestrator:  # start-up migrates, keyed
        await orchestrator.send(command_id, message)
        answer = (await orchestrator.results({command_id}))[command_id]
    assert (answer["outcome"], answer["reason"]) == ("skipped", "address_unreachable")
    stored = [row.recipient_hash for row in await sql(database_url, unique_name, "SELECT * FROM suppressions")]
    assert stored == [keyed_address_hash(suppressed, KEY.encode())], "re-keyed, and no plain hash left"
