"""End to end with every service as its own process, and the faults contract section 6 promises to survive:
kill -9 of each service mid-stream, two replicas with one killed, a poison message. Each ends with the same
check: every journey once, in its expected state, no customer message twice."""

import asyncio
import json
import os
import re
import time

import httpx
import pytest

from billing_bridge.tools import signing
from billing_bridge.tools.samples import stripe_customer, stripe_deleted
from billing_bridge.tools.standin import serving
from shared.testing import read_topic, wait_until

from .system import (
    BRIDGE_STRIPE_SECRET,
    ROOT,
    Billing,
    check_no_duplicates_and_expected_states,
    converge,
    free_port,
    mail,
)

pytestmark = pytest.mark.integration
# `make soak` runs these with E2E_SCALE=10: ten times the events in every stream.
SCALE = int(os.environ.get("E2E_SCALE", "1"))


async def test_a_batch_of_every_kind_flows_through_and_a_reactivation_stops_a_journey(full_system):
    system = full_system
    async with Billing(system) as billing:
        subscriptions = await billing.cancel(12 * SCALE)
        journeys = await converge(system, billing)
        check_no_duplicates_and_expected_states(system, billing, journeys)
        await billing.reactivate(subscriptions[0])

        async def stopped() -> bool:
            async with system.orchestrator_api() as api:
                journey = (await api.get(f"/v1/subscriptions/{subscriptions[0]}/journey")).json()
            return journey["status"] == "cancelled" and any(
                s["name"] == "welcome_back" and s["status"] == "succeeded" for s in journey["steps"]
            )

        await wait_until(stopped, within=30)
    surveys = [
        m
        for m in mail(system.maildir, f"@{system.name}.example")
        if m["X-Offboarding-Step"] == "exit_survey_invitation"
    ]
    voluntary = [s for s, kind in billing.subscriptions.items() if kind[1] == "customer"]
    assert len(surveys) == len(voluntary), "every voluntary leaver got one survey invitation"
    invitation = next(m for m in surveys if f"{subscriptions[0]}@" not in m["To"])  # not the reactivated one
    link = re.search(r"http://survey\.test(/s/\S+)", invitation.get_body(("plain",)).get_content()).group(1)
    survey_port = next(r.port for r in system.replicas if r.service == "survey")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{survey_port}") as client:
        page = await client.get(link)
        answered = await client.post(link, data={"reason": "poor_support", "score": "2", "may_contact": "yes"})
    assert page.status_code == 200 and "<form" in page.text
    assert answered.status_code == 200
    journey_id = invitation["X-Offboarding-Journey"]

    async def follow_up_started() -> bool:
        async with system.orchestrator_api() as api:
            journey = (await api.get(f"/v1/journeys/{journey_id}")).json()
        steps = {s["name"]: s["status"] for s in journey["steps"]}
        return journey["survey"] is not None and steps["support_follow_up"] in (
            "in_progress",
            "scheduled",
            "failed",
            "succeeded",
        )

    await wait_until(follow_up_started, within=30)


@pytest.mark.parametrize("victim", ["orchestrator", "notifier", "survey"])
async def test_kill_minus_nine_mid_stream_then_restart(full_system, victim):
    system = full_system
    replica = next(r for r in system.replicas if r.service == victim)
    async with Billing(system) as billing:
        stream = asyncio.create_task(billing.cancel(30 * SCALE, pause=0.03))
        await asyncio.sleep(0.4)
        await system.kill(replica)
        await stream
        await system.restart(replica)
        journeys = await converge(system, billing)
    check_no_duplicates_and_expected_states(system, billing, journeys)


async def test_two_replicas_of_each_one_killed_mid_stream(full_system):
    system = full_system
    seconds = [await system.start(service) for service in ("orchestrator", "notifier", "survey")]
    async with Billing(system) as billing:
        stream = asyncio.create_task(billing.cancel(30 * SCALE, pause=0.03))
        await asyncio.sleep(0.4)
        for replica in seconds:
            await system.kill(replica)
        await stream
        journeys = await converge(system, billing)
    check_no_duplicates_and_expected_states(system, billing, journeys)


async def test_a_poison_message_mid_stream_is_dead_lettered_and_the_rest_flows(full_system):
    system = full_system
    async with Billing(system) as billing:
        await billing.cancel(8 * SCALE)
        await billing.poison()
        await billing.cancel(8 * SCALE, start=8 * SCALE)
        journeys = await converge(system, billing)
    check_no_duplicates_and_expected_states(system, billing, journeys)
    dead = await read_topic(system.kafka, system.topics()["cancelled"] + ".dlq", until=lambda rs: len(rs) >= 1)
    assert [dict(r.headers)["error.reason"] for r in dead] == [b"not_json"]


def local_stack() -> None:
    """Broker and database restarts need the project's own local stack (what `make test` starts)."""
    pidfile = ROOT / ".local" / "kafka" / "kafka.pid"
    if not pidfile.exists():
        pytest.skip("the broker and database are not this project's local stack; cannot restart them here")


async def infra(*command: str) -> None:
    process = await asyncio.create_subprocess_exec(
        str(ROOT / "deploy" / command[0]),
        *command[1:],
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await process.communicate()
    assert process.returncode == 0, err.decode()


async def test_kafka_broker_stop_and_start_mid_stream(full_system):
    """Also the billing bridge: a Stripe webhook while the broker is down is answered 503 (Stripe retries), and
    the retries once it is back start exactly one journey."""
    local_stack()
    system = full_system
    async with serving(free_port()) as (standin, store), Billing(system) as billing:
        system.service_env["billing_bridge"] = {"BILLING_STRIPE_API_BASE": f"{standin}/stripe"}
        bridge = await system.start("billing_bridge")
        sub, customer = f"sub_{system.name}_webhook", f"cus_{system.name}"
        store.put("stripe", "customers", customer, stripe_customer(customer, email=f"{sub}@{system.name}.example"))
        webhook = json.dumps(stripe_deleted(sub, customer, int(time.time()), days=0)).encode()
        await billing.cancel(10 * SCALE, pause=0.02)
        await infra("kafka.sh", "stop")
        while_down = await _post_webhook(bridge.port, webhook)
        await infra("kafka.sh", "start")
        await billing.cancel(10 * SCALE, pause=0.02, start=10 * SCALE)
        retries = [await _post_webhook(bridge.port, webhook)]
        while retries[-1].status_code != 200 and len(retries) < 30:  # as Stripe would, a little faster
            await asyncio.sleep(1)
            retries.append(await _post_webhook(bridge.port, webhook))
        journeys = await converge(system, billing, within=150)
        from_the_webhook: list[dict] = []

        async def webhook_journey() -> bool:
            # Published after the billing events, it may be taken after they settled (its partition's consumer
            # may still be rejoining the group after the restart): wait for it rather than assume it.
            async with system.orchestrator_api() as api:
                from_the_webhook[:] = (await api.get("/v1/journeys", params={"subscription_id": sub})).json()["items"]
            return bool(from_the_webhook)

        await wait_until(webhook_journey, within=60, every=0.5)
    check_no_duplicates_and_expected_states(system, billing, journeys)
    assert while_down.status_code == 503 and int(while_down.headers["retry-after"]) > 0
    assert retries[-1].status_code == 200 and len(from_the_webhook) == 1, [r.status_code for r in retries]


async def _post_webhook(port: int, body: bytes) -> httpx.Response:
    headers = signing.stripe_headers(body, BRIDGE_STRIPE_SECRET)
    async with httpx.AsyncClient(timeout=15) as client:
        return await client.post(f"http://127.0.0.1:{port}/webhooks/stripe", content=body, headers=headers)


async def test_postgres_immediate_restart_mid_stream(full_system):
    local_stack()
    system = full_system
    async with Billing(system) as billing:
        stream = asyncio.create_task(billing.cancel(30 * SCALE, pause=0.03))
        await asyncio.sleep(0.4)
        await infra("postgres.sh", "restart-immediate")
        await stream
        journeys = await converge(system, billing, within=150)
    check_no_duplicates_and_expected_states(system, billing, journeys)
