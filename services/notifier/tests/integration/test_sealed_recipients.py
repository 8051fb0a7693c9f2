"""Sealed recipients: a send command's recipient comes sealed with its journey's key (shared.sealing); the notifier
opens it with the key from the keyring and sends; a command whose key is gone (its journey was erased after the
command left) is not sent, and the orchestrator is told the personal data is erased."""

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from notifier.bootstrap import bootstrap
from shared.sealing import new_key, seal

from .conftest import Orchestrator, mail_to, running, send_message

pytestmark = pytest.mark.integration


async def test_a_sealed_recipient_is_opened_and_one_without_its_key_is_not_sent(
    settings_for, smtp_sink, database_url, unique_name
):
    keyring = f"{unique_name}_keys"
    kept_id, kept = _sealed(send_message(email_address=f"kept-{unique_name}@example.com"))
    gone_id, gone = _sealed(send_message(email_address=f"gone-{unique_name}@example.com"))
    engine = create_async_engine(database_url)
    async with engine.begin() as conn:
        await conn.execute(sa.text(f'CREATE SCHEMA "{keyring}"'))
        await conn.execute(sa.text(f'CREATE TABLE "{keyring}".journey_keys (journey_id uuid PRIMARY KEY, key bytea)'))
        await conn.execute(
            sa.text(f'INSERT INTO "{keyring}".journey_keys VALUES (:id, :key)'),
            {"id": kept[0].journey_id, "key": kept[1]},
        )
    try:
        settings = settings_for(keyring_schema=keyring)
        async with running(bootstrap(settings)), Orchestrator(settings) as orchestrator:
            await orchestrator.send(kept_id, kept[0])
            await orchestrator.send(gone_id, gone[0])
            results = await orchestrator.results({kept_id, gone_id})
    finally:
        async with engine.begin() as conn:
            await conn.execute(sa.text(f'DROP SCHEMA "{keyring}" CASCADE'))
        await engine.dispose()
    assert results[kept_id]["outcome"] == "succeeded"
    assert len(mail_to(smtp_sink.maildir, f"kept-{unique_name}@example.com")) == 1
    assert results[gone_id]["outcome"] == "failed" and results[gone_id]["reason"] == "personal data erased"
    assert results[gone_id]["retryable"] is False
    assert mail_to(smtp_sink.maildir, f"gone-{unique_name}@example.com") == []


def _sealed(pair):
    """The command with its recipient sealed under a fresh key, and that key (the test puts one in the keyring)."""
    command_id, command = pair
    journey_id = str(uuid.UUID(command.journey_id))
    key = new_key()
    sealed = seal(key, journey_id, command.recipient.model_dump(mode="json"))
    return command_id, (command.model_copy(update={"recipient": None, "sealed_recipient": sealed}), key)
