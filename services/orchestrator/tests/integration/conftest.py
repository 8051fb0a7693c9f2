"""Orchestrator integration fixtures: real Kafka and PostgreSQL, the service's own parts running in-process,
each test on its own schema and topics. The notifier and survey service are played by `Responder`, which
answers commands over Kafka exactly as they would."""

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from orchestrator.adapters.tables import journey_steps, journeys
from orchestrator.bootstrap import bootstrap
from orchestrator.config import Settings
from shared import signing
from shared.events.commands import StepResult
from shared.events.envelope import CloudEvent, new_event
from shared.keyring import Keyring
from shared.messaging.producer import create_producer
from shared.runtime import Runtime
from shared.testing import read_topic
from shared.testing import running as shared_running

SERVICE_DIR = Path(__file__).resolve().parents[2]
TOKENS = "viewer-token:viewer,operator-token:operator"


@pytest.fixture
def settings_for(database_url: str, kafka_bootstrap: str, unique_name: str) -> Callable[..., Settings]:
    def make(**overrides) -> Settings:
        t = unique_name
        values = dict(
            DATABASE_URL=database_url,
            KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
            OFFBOARDING_API_TOKENS=TOKENS,
            database_schema=t,
            topic_partitions=2,
            timer_interval_seconds=0.2,
            outbox_idle_seconds=0.02,
            topic_subscription_cancelled=f"{t}.cancelled",
            topic_subscription_reactivated=f"{t}.reactivated",
            topic_journey_events=f"{t}.journeys",
            topic_notifier_commands=f"{t}.notifier",
            topic_survey_commands=f"{t}.survey",
            topic_step_results=f"{t}.results",
            topic_survey_responses=f"{t}.responses",
        )
        return Settings(**(values | overrides))

    return make


def running(runtime: Runtime):
    return shared_running(runtime, SERVICE_DIR)


@pytest.fixture
async def orchestrator(settings_for) -> AsyncIterator[Runtime]:
    async with running(bootstrap(settings_for())) as runtime:
        yield runtime


@pytest.fixture
async def billing(kafka_bootstrap: str):
    """Publishes billing events as a billing system would."""
    producer = create_producer(kafka_bootstrap, client_id="billing")
    await producer.start()

    async def publish(topic: str, event: CloudEvent | bytes, key: str) -> None:
        value = event if isinstance(event, bytes) else event.to_json_bytes()
        await producer.send_and_wait(topic, value, key=key.encode())

    yield publish
    await producer.stop()


@pytest.fixture
def api(orchestrator: Runtime):
    def client(token: str | None = "viewer-token") -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=orchestrator.http_app), base_url="http://test", headers=headers
        )

    return client


async def journey_rows(runtime: Runtime, subscription_id: str) -> list[sa.Row]:
    async with runtime.sessions() as session:
        return (await session.execute(sa.select(journeys).where(journeys.c.subscription_id == subscription_id))).all()


async def step_statuses(runtime: Runtime, journey_id) -> dict[str, str]:
    async with runtime.sessions() as session:
        rows = await session.execute(
            sa.select(journey_steps.c.name, journey_steps.c.status).where(journey_steps.c.journey_id == journey_id)
        )
        return dict(rows.all())


PAGE_UPDATE = "offboarding.command.update_customer_page"


async def commands_for(
    kafka_bootstrap: str, topic: str, subscription_id: str, *, at_least: int, page_updates: bool = False
) -> list[dict]:
    """The step commands on `topic` for one subscription (read from the start), once at least `at_least` are
    there; with `page_updates`, the customer page's updates instead."""

    def mine(records):
        found = [json.loads(r.value) for r in records if r.key == subscription_id.encode()]
        return [c for c in found if (c["type"] == PAGE_UPDATE) == page_updates]

    records = await read_topic(kafka_bootstrap, topic, until=lambda rs: len(mine(rs)) >= at_least)
    return mine(records)


async def recipient_of(runtime: Runtime, command: dict) -> dict:
    """A send command's recipient as the notifier reads it: opened with the journey's key from the keyring."""
    from shared.sealing import Sealed, unseal

    sealed = Sealed.model_validate(command["data"]["sealed_recipient"])
    async with runtime.sessions() as session:
        keys = await Keyring(session, runtime.settings.database_schema).keys([sealed.kid])
    return unseal(keys.get(sealed.kid), sealed)


class Responder:
    """Plays the notifier and the survey service: answers each command with a result over Kafka, signed with the
    journey's MAC key read from the orchestrator's keyring, as they do."""

    def __init__(self, kafka_bootstrap: str, settings: Settings) -> None:
        self.kafka_bootstrap, self.settings = kafka_bootstrap, settings
        self.producer = create_producer(kafka_bootstrap, client_id="responder")
        self.engine = create_async_engine(settings.database_url)

    async def __aenter__(self) -> "Responder":
        await self.producer.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.producer.stop()
        await self.engine.dispose()

    async def answer(self, command: dict, outcome: str = "succeeded", **extra) -> None:
        data = command["data"]
        result = StepResult(
            command_id=command["id"],
            journey_id=data["journey_id"],
            subscription_id=data["subscription_id"],
            step=data["step"],
            attempt=data["attempt"],
            outcome=outcome,
            **extra,
        )
        await self.publish(self.settings.topic_step_results, data["subscription_id"], result)

    async def publish(self, topic: str, key: str, data, *, signed: bool = True) -> bytes:
        """Any message about a journey (`data.journey_id`), signed as the services sign theirs; returns its value."""
        event = new_event(data.event_type, "tests/responder", data.model_dump(mode="json"))
        value = event.to_json_bytes()
        headers = []
        if signed:
            async with AsyncSession(self.engine) as session:
                keys = await Keyring(session, self.settings.database_schema).get([data.journey_id])
            headers = [(signing.HEADER, signing.signature(keys[data.journey_id].mac, key, value).encode())]
        await self.producer.send_and_wait(topic, value, key=key.encode(), headers=headers)
        return value


async def eventually(check, within: float = 20.0):
    """Await `check()` until it returns something truthy; return it."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        value = await check()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"not reached within {within} s (last value {value!r})")
        await asyncio.sleep(0.05)
