"""Survey integration fixtures: real Kafka and PostgreSQL, the survey service in-process on its own schema and
topics, and a stand-in orchestrator that keeps journey keys, sends signed create-survey commands, opens the
sealed links they are answered with and reads the answers."""

import json
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from shared.events.commands import CreateSurvey
from shared.played_orchestrator import PlayedOrchestrator
from shared.runtime import Runtime
from shared.sealing import Sealed, unseal
from shared.testing import read_topic
from shared.testing import running as shared_running
from survey.config import Settings

SERVICE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def settings_for(database_url, kafka_bootstrap, unique_name, keyring_schema) -> Callable[..., Settings]:
    def make(**overrides) -> Settings:
        t = unique_name
        values = dict(
            keyring_schema=keyring_schema,
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


class Orchestrator(PlayedOrchestrator):
    def __init__(self, settings: Settings) -> None:
        super().__init__(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            database_url=settings.database_url,
            keyring_schema=settings.keyring_schema,
            topic=settings.topic_commands,
        )
        self.settings = settings

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
        command_id = str(uuid.uuid4())
        await self.send(command_id, command)
        return command_id, command

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
        assert "survey_url" not in result["data"], "a survey link never travels in the clear"
        keys = await self.keys(result["journey_id"])
        return unseal(keys.seal, Sealed.model_validate(result["data"]["sealed_survey_url"]))["url"]

    async def answers(self, journey_ids: set[str]) -> list[dict]:
        records = await read_topic(
            self.settings.kafka_bootstrap_servers,
            self.settings.topic_survey_responses,
            until=lambda rs: {json.loads(r.value)["data"]["journey_id"] for r in rs} >= journey_ids,
        )
        return [json.loads(r.value) for r in records if json.loads(r.value)["data"]["journey_id"] in journey_ids]
