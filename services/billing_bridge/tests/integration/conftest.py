"""Billing bridge integration fixtures: the real broker, the orchestrator in-process on this test's schema and
topics (it creates them), the bridge in-process answering HTTP through its app, and the local stand-in for the
providers' APIs (billing_bridge/tools/standin.py) on a free port."""

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from billing_bridge.bootstrap import bootstrap as bridge_bootstrap
from billing_bridge.config import Settings
from billing_bridge.tools.standin import Store, serving
from orchestrator.bootstrap import bootstrap as orchestrator_bootstrap
from orchestrator.config import Settings as OrchestratorSettings
from shared.runtime import Runtime
from shared.testing import free_port, running, wait_until

BRIDGE_DIR = Path(__file__).resolve().parents[2]
ORCHESTRATOR_DIR = BRIDGE_DIR.parent / "orchestrator"
SECRETS = {
    "stripe": "whsec_test_stripe_secret",
    "paddle": "pdl_ntfset_test_paddle_secret",
    "chargebee": "hooks:test-chargebee-password",
    "recurly": "test_recurly_secret",
    "http": "whsec_dGVzdC1zdGFuZGFyZC13ZWJob29rcy1zZWNyZXQ=",
}


@dataclass
class Standin:
    url: str
    store: Store

    async def put(self, provider: str, collection: str, item_id: str, document: dict) -> None:
        self.store.put(provider, collection, item_id, document)


@pytest.fixture
async def standin() -> AsyncIterator[Standin]:
    async with serving(free_port()) as (url, store):
        yield Standin(url, store)


@pytest.fixture
def bridge_settings(kafka_bootstrap, unique_name, standin) -> Callable[..., Settings]:
    def make(**overrides) -> Settings:
        values = dict(
            KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
            topic_subscription_cancelled=f"{unique_name}.cancelled",
            topic_subscription_reactivated=f"{unique_name}.reactivated",
            stripe_webhook_secret=SECRETS["stripe"],
            paddle_webhook_secret=SECRETS["paddle"],
            chargebee_webhook_credentials=SECRETS["chargebee"],
            recurly_webhook_secret=SECRETS["recurly"],
            webhook_secret=SECRETS["http"],
            stripe_api_base=f"{standin.url}/stripe",
            paddle_api_base=f"{standin.url}/paddle",
            recurly_api_base=f"{standin.url}/recurly",
            chargebee_api_base=f"{standin.url}/chargebee",
            stripe_api_key="sk_test_standin",
            paddle_api_key="pdl_sdbx_apikey_standin",
            recurly_api_key="standin",
        )
        return Settings(**(values | overrides))

    return make


@pytest.fixture
async def orchestrator(database_url, kafka_bootstrap, unique_name) -> AsyncIterator[Runtime]:
    t = unique_name
    settings = OrchestratorSettings(
        DATABASE_URL=database_url,
        KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        OFFBOARDING_API_TOKENS="viewer-token:viewer",
        database_schema=t,
        topic_partitions=2,
        outbox_idle_seconds=0.05,
        timer_interval_seconds=0.2,
        topic_subscription_cancelled=f"{t}.cancelled",
        topic_subscription_reactivated=f"{t}.reactivated",
        topic_journey_events=f"{t}.journeys",
        topic_notifier_commands=f"{t}.notifier",
        topic_survey_commands=f"{t}.survey",
        topic_step_results=f"{t}.results",
        topic_survey_responses=f"{t}.responses",
    )
    async with running(orchestrator_bootstrap(settings), ORCHESTRATOR_DIR) as runtime:
        yield runtime


@contextlib.asynccontextmanager
async def bridge(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The bridge running (its producer started) and a client for its HTTP app."""
    async with running(bridge_bootstrap(settings), BRIDGE_DIR) as runtime:
        transport = httpx.ASGITransport(app=runtime.http_app, client=("203.0.113.5", 443))
        async with httpx.AsyncClient(transport=transport, base_url="https://bridge.test") as client:
            yield client


async def journeys_of(orchestrator: Runtime, subscription_id: str) -> list[dict]:
    transport = httpx.ASGITransport(app=orchestrator.http_app)
    headers = {"Authorization": "Bearer viewer-token"}
    async with httpx.AsyncClient(transport=transport, base_url="http://o", headers=headers) as client:
        page = await client.get("/v1/journeys", params={"subscription_id": subscription_id})
    return page.json()["items"]


async def eventually_journeys(orchestrator: Runtime, subscription_id: str, count: int = 1) -> list[dict]:
    found: list[dict] = []

    async def enough() -> bool:
        found[:] = await journeys_of(orchestrator, subscription_id)
        return len(found) >= count

    await wait_until(enough, within=30)
    return found
