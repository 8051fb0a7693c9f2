"""The backfill: what a provider's API lists since a date is published with the ids its webhooks would have had;
run again (or after the webhooks did arrive), it changes nothing."""

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import uvicorn

from billing_bridge.entrypoints.backfill import backfill
from billing_bridge.tools.samples import chargebee_cancelled, stripe_customer, stripe_deleted, stripe_scheduled
from shared.testing import wait_until

from .conftest import eventually_journeys, free_port, journeys_of

pytestmark = pytest.mark.integration


async def test_stripe_and_chargebee_backfills_start_what_was_missed_once(bridge_settings, standin, orchestrator):
    now = int(time.time())
    ended, scheduled, old = (f"sub_{uuid.uuid4().hex[:10]}" for _ in range(3))
    for sub, body in (
        (ended, stripe_deleted(ended, f"cus_{ended}", now - 3600, days=0)),
        (scheduled, stripe_scheduled(scheduled, f"cus_{scheduled}", now - 7200)),
        (old, stripe_deleted(old, f"cus_{old}", now - 90 * 86400, days=0)),  # before --since: left alone
    ):
        await standin.put("stripe", "subscriptions", sub, body["data"]["object"])
        await standin.put(
            "stripe", "customers", f"cus_{sub}", stripe_customer(f"cus_{sub}", email=f"{sub}@example.com")
        )
    chargebee_sub = f"sub_{uuid.uuid4().hex[:10]}"
    row = chargebee_cancelled(chargebee_sub, email=f"{chargebee_sub}@example.com", at=now - 600)["content"]
    await standin.put("chargebee", "subscriptions", chargebee_sub, row)
    settings, since = bridge_settings(chargebee_api_key="cb_standin"), datetime.now(UTC) - timedelta(days=2)

    first = await backfill("stripe", since, settings)
    await backfill("chargebee", since, settings)
    for sub in (ended, scheduled, chargebee_sub):
        await eventually_journeys(orchestrator, sub)
    async with _served(orchestrator) as url:
        again = await backfill("stripe", since, settings, orchestrator=(url, "viewer-token"))
    assert first == {"found": 2, "published": 2, "unusable": 0}
    assert again == {"found": 2, "published": 0, "already known": 2, "unusable": 0}
    assert await journeys_of(orchestrator, old) == []
    assert [len(await journeys_of(orchestrator, s)) for s in (ended, scheduled, chargebee_sub)] == [1, 1, 1]


class _served:
    """The orchestrator's API on a free port, as the backfill reaches it."""

    def __init__(self, runtime) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.server = uvicorn.Server(uvicorn.Config(runtime.http_app, host="127.0.0.1", port=port, log_config=None))

    async def __aenter__(self) -> str:
        self.task = asyncio.create_task(self.server.serve())

        async def started() -> bool:
            return self.server.started

        await wait_until(started)
        return self.url

    async def __aexit__(self, *exc) -> None:
        self.server.should_exit = True
        await self.task
