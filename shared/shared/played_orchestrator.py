"""The orchestrator's part, played in the notifier's and the survey service's tests: it keeps journey keys in a
`journey_keys` table of its own (the DDL of shared.keyring), seals what a command carries and signs every
record as the real one does, so those services are tested with nothing of theirs switched off. A test may
also write what the real orchestrator never would: an unsigned or altered record, a command for an erased
journey."""

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine

from shared import signing
from shared.events.commands import MessageCommand, Recipient, SendMessage
from shared.events.envelope import new_event
from shared.events.registry import EventData
from shared.keyring import DDL, JourneyKeys, Keyring
from shared.messaging.producer import create_producer
from shared.sealing import seal

SOURCE = "offboarding/orchestrator"


class PlainSend(MessageCommand):
    """A send command as a test writes it: the recipient (and a survey link in `facts.survey_url`, a help request's
    words in `facts.help_words`) in the clear; the played orchestrator seals them on the way out."""

    recipient: Recipient


def sealed(command: PlainSend, keys: JourneyKeys, recipient_changes: dict | None = None) -> SendMessage:
    """The command as the orchestrator sends it: recipient and survey link sealed with the journey's key.
    `recipient_changes` go into the sealed recipient unvalidated (what a faulty orchestrator could seal)."""
    assert keys.seal is not None, "an erased journey's commands carry no recipient"
    journey_id = command.journey_id
    facts = dict(command.facts)
    survey_url = facts.pop("survey_url", None)
    help_words = facts.pop("help_words", None)
    recipient = command.recipient.model_dump(mode="json") | (recipient_changes or {})
    return SendMessage(
        **command.model_dump(exclude={"recipient", "facts"}),
        facts=facts,
        sealed_recipient=seal(keys.seal, journey_id, recipient),
        sealed_survey_url=seal(keys.seal, journey_id, {"url": survey_url}) if survey_url else None,
        sealed_help=seal(keys.seal, journey_id, help_words) if help_words else None,
    )


async def create_keyring(database_url: str, schema: str) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            await conn.execute(sa.text(DDL.format(table=f'"{schema}".journey_keys')))
    finally:
        await engine.dispose()


async def drop_keyring(database_url: str, schema: str) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        await engine.dispose()


class PlayedOrchestrator:
    """Writes commands to `topic` as the orchestrator would; the keyring is in `keyring_schema`."""

    def __init__(self, *, bootstrap_servers: str, database_url: str, keyring_schema: str, topic: str) -> None:
        self.bootstrap_servers, self.topic, self.keyring_schema = bootstrap_servers, topic, keyring_schema
        self.producer: AIOKafkaProducer = create_producer(bootstrap_servers, client_id="orchestrator-double")
        self.engine: AsyncEngine = create_async_engine(database_url)

    async def __aenter__(self):
        await self.producer.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.producer.stop()
        await self.engine.dispose()

    async def keys(self, journey_id: str) -> JourneyKeys:
        """The journey's keys, made when it is first named (as the orchestrator does when a journey starts)."""
        journey_id = str(uuid.UUID(journey_id))
        async with AsyncSession(self.engine) as session, session.begin():
            keyring = Keyring(session, self.keyring_schema)
            found = await keyring.get([journey_id]) or await keyring.create([uuid.UUID(journey_id)])
        return found[journey_id]

    async def erase_keys(self, journey_id: str) -> None:
        """What the orchestrator's erasure does to the keyring: the sealing key goes, the MAC key stays."""
        async with AsyncSession(self.engine) as session, session.begin():
            await Keyring(session, self.keyring_schema).forget(uuid.UUID(journey_id))

    async def send(
        self,
        command_id: str,
        command: EventData,
        *,
        signed: bool = True,
        written_at: datetime | None = None,
        **raw_changes: Any,
    ) -> tuple[bytes, list[tuple[str, bytes]]]:
        """Send `command` (a PlainSend is sealed first), signed with its journey's MAC key unless `signed` is
        False, written at `written_at` (default: now). `raw_changes` overwrite fields of its data as they go on the wire, unvalidated and signed after
        (what a faulty but trusted writer could say; `recipient` changes go into the sealed recipient). Returns
        the record's value and headers."""
        keys = await self.keys(command.journey_id)
        if isinstance(command, PlainSend):
            command = sealed(command, keys, raw_changes.pop("recipient", None))
        data = command.model_dump(mode="json")
        for key, value in raw_changes.items():
            data[key] = data[key] | value if isinstance(value, dict) else value
        event = new_event(command.event_type, SOURCE, data, subject=command.journey_id)
        event = event.model_copy(update={"id": command_id, "time": written_at or event.time})
        value = event.to_json_bytes()
        key = command.subscription_id
        headers = [(signing.HEADER, signing.signature(keys.mac, key, value).encode())] if signed else []
        await self.send_raw(value, key=key.encode(), headers=headers)
        return value, headers

    async def send_raw(self, value: bytes, *, key: bytes | None, headers: list[tuple[str, bytes]]) -> None:
        await self.producer.send_and_wait(self.topic, value, key=key, headers=headers)
