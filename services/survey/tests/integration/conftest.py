"""Survey integration fixtures: real Kafka and PostgreSQL, the survey service in-process on its own schema and
topics, and a stand-in orchestrator that sends create-survey commands and reads the answers."""

import json
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from shared.events.commands import CreateSurvey
from shared.events.envelope import new_event
from shared.messaging.producer import create_producer
from shared.runtime import Runtime
from shared.testing import read_topic
from shared.testing import running as shared_running
from survey.config import Settings

SERVICE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def settings_for(database_url, kafka_bootstrap, unique_name) -> Callable[..., Settings]:
    def make(**overrides) -> Settings:
        t = unique_name
        values = dict(
            DATABASE_URL=database_url,
            KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
            OFFBOARDING_API_TOKENS="viewer-token:viewer",
            database_schema=t,
            topic_partitions=2,
            outbox_idle_seconds=0.02,
            topic_commands=f"{t}.survey",
            topic_step_results=f"{t}.results",
            topic_survey_responses=f"{t}.responses",
            public_url="http://survey.test",
        )
        return Settings(**(values | overrides))

    return make


def running(runtime: Runtime):
    return shared_running(runtime, SERVICE_DIR)


def client(runtime: Runtime, **kwargs) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=runtime.http_app), base_url="http://survey.test", **kwargs
    )


class Orchestrator:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.producer = create_producer(settings.kafka_bootstrap_servers, client_id="orchestrator-double")

    async def __aenter__(self) -> "Orchestrator":
        await self.producer.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.producer.stop()

    async def create_survey(
        self, *, segment="b2c", locale="en", plan="pro-monthly", template=None
    ) -> tuple[str, CreateSurvey]:
        journey_id = str(uuid.uuid4())
        command = CreateSurvey(
            journey_id=journey_id,
            subscription_id=f"sub_{journey_id[:8]}",
            customer_id=f"cus_{journey_id[:8]}",
            step="exit_survey",
            attempt=1,
            segment=segment,
            locale=locale,
            plan=plan,
            reason="too_expensive",
            template=template or f"{segment}-voluntary",
        )
        event = new_event(command.event_type, "offboarding/orchestrator", command.model_dump(mode="json"))
        await self.producer.send_and_wait(
            self.settings.topic_commands, event.to_json_bytes(), key=command.subscription_id.encode()
        )
        return event.id, command

    async def survey_url(self, command_id: str) -> str:
        records = await read_topic(
            self.settings.kafka_bootstrap_servers,
            self.settings.topic_step_results,
            until=lambda rs: any(json.loads(r.value)["data"]["command_id"] == command_id for r in rs),
        )
        result = next(
            json.loads(r.value)["data"] for r in records if json.loads(r.value)["data"]["command_id"] == command_id
        )
        assert result["outcome"] == "succeeded", result
        return result["data"]["survey_url"]

    async def answers(self, journey_ids: set[str]) -> list[dict]:
        records = await read_topic(
            self.settings.kafka_bootstrap_servers,
            self.settings.topic_survey_responses,
            until=lambda rs: {json.loads(r.value)["data"]["journey_id"] for r in rs} >= journey_ids,
        )
        return [json.loads(r.value) for r in records if json.loads(r.value)["data"]["journey_id"] in journey_ids]
