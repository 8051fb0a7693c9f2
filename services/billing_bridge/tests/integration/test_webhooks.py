"""Signed webhooks through the bridge to journeys: each provider's, as it signs them, the customer read from the
local stand-in of its API, the events published to the real broker and taken by the real orchestrator."""

import json
import time
import uuid

import pytest

from billing_bridge.entrypoints.http import WEBHOOKS
from billing_bridge.tools import signing
from billing_bridge.tools.samples import (
    chargebee_cancelled,
    paddle_canceled,
    paddle_customer,
    recurly_account,
    recurly_notification,
    recurly_subscription,
    standard_cancellation,
    stripe_customer,
    stripe_deleted,
    stripe_scheduled,
)
from shared.messaging.consumer import CONSUMED
from shared.testing import wait_until

from .conftest import SECRETS, bridge, eventually_journeys, journeys_of

pytestmark = pytest.mark.integration


def body_of(document: dict) -> bytes:
    return json.dumps(document).encode()


async def test_stripe_request_and_end_of_period_are_one_journey_with_the_customer_from_the_api(
    bridge_settings, standin, orchestrator
):
    sub, customer = f"sub_{uuid.uuid4().hex[:10]}", f"cus_{uuid.uuid4().hex[:10]}"
    await standin.put(
        "stripe", "customers", customer, stripe_customer(customer, email=f"{sub}@example.com", tax_id="DE123456789")
    )
    requested = int(time.time()) - 60
    scheduled, deleted = (
        body_of(stripe_scheduled(sub, customer, requested)),
        body_of(stripe_deleted(sub, customer, requested)),
    )
    async with bridge(bridge_settings()) as client:
        answers = [
            await client.post(
                "/webhooks/stripe", content=scheduled, headers=signing.stripe_headers(scheduled, SECRETS["stripe"])
            ),
            # Stripe retries a webhook it got no answer to: the same event again
            await client.post(
                "/webhooks/stripe", content=scheduled, headers=signing.stripe_headers(scheduled, SECRETS["stripe"])
            ),
        ]
        # In the month between the request and the end of the period the customer changed their name: the
        # `deleted` event reads other details, and is still the same cancellation (no conflict, no dead letter).
        renamed = stripe_customer(customer, email=f"{sub}@example.com", name="Ada King", tax_id="DE123456789")
        await standin.put("stripe", "customers", customer, renamed)
        answers.append(
            await client.post(
                "/webhooks/stripe", content=deleted, headers=signing.stripe_headers(deleted, SECRETS["stripe"])
            )
        )
        (journey,) = await eventually_journeys(orchestrator, sub)
        topic = orchestrator.settings.topic_subscription_cancelled
        await wait_until(lambda: _consumed(topic, "duplicate", 2))  # the retry, and the end of the period
    assert [(a.status_code, a.json()["status"]) for a in answers] == [(200, "accepted")] * 3
    assert CONSUMED.labels(topic, "dead_lettered")._value.get() == 0, "no conflicting duplicate either"
    assert journey["template"] == "b2b-voluntary", "a tax id: a business"
    assert journey["customer_id"] == customer and journey["effective_at"] > journey["cancelled_at"]
    assert len(await journeys_of(orchestrator, sub)) == 1, "one cancellation, one journey"


async def test_paddle_and_recurly_look_the_customer_up_chargebee_carries_it(bridge_settings, standin, orchestrator):
    paddle_sub, recurly_sub, chargebee_sub = (f"sub_{uuid.uuid4().hex[:10]}" for _ in range(3))
    await standin.put("paddle", "customers", "ctm_1", paddle_customer("ctm_1", email=f"{paddle_sub}@example.com"))
    await standin.put("recurly", "subscriptions", recurly_sub, recurly_subscription(recurly_sub, "acc_1"))
    await standin.put("recurly", "accounts", "acc_1", recurly_account("acc_1", email=f"{recurly_sub}@example.com"))
    paddle_body = body_of(paddle_canceled(paddle_sub, "ctm_1"))
    recurly_body = body_of(recurly_notification(recurly_sub, "canceled"))
    chargebee_body = body_of(chargebee_cancelled(chargebee_sub, email=f"{chargebee_sub}@example.com"))
    async with bridge(bridge_settings()) as client:
        answers = [
            await client.post(
                "/webhooks/paddle", content=paddle_body, headers=signing.paddle_headers(paddle_body, SECRETS["paddle"])
            ),
            await client.post(
                "/webhooks/recurly",
                content=recurly_body,
                headers=signing.recurly_headers(recurly_body, SECRETS["recurly"]),
            ),
            await client.post(
                "/webhooks/chargebee", content=chargebee_body, headers=signing.chargebee_headers(SECRETS["chargebee"])
            ),
        ]
        for sub in (paddle_sub, recurly_sub, chargebee_sub):
            await eventually_journeys(orchestrator, sub)
    assert [a.status_code for a in answers] == [200, 200, 200], [a.text for a in answers]
    (recurly_journey,) = await journeys_of(orchestrator, recurly_sub)
    assert recurly_journey["template"] == "b2b-voluntary", "Recurly's account has a company"


async def test_an_in_house_system_signs_a_cloud_event_as_standard_webhooks(bridge_settings, orchestrator):
    sub = f"sub_{uuid.uuid4().hex[:10]}"
    good = body_of(standard_cancellation(sub))
    bad = body_of(standard_cancellation(sub) | {"data": {"subscription_id": sub}})
    async with bridge(bridge_settings()) as client:
        refused = await client.post("/v1/events", content=bad, headers=signing.standard_headers(bad, SECRETS["http"]))
        accepted = await client.post(
            "/v1/events", content=good, headers=signing.standard_headers(good, SECRETS["http"])
        )
        (journey,) = await eventually_journeys(orchestrator, sub)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_event"
    assert "customer_id" in refused.json()["error"]["message"], "the refusal names the field"
    assert accepted.status_code == 200 and journey["template"] == "b2c-voluntary"


async def test_what_is_not_the_providers_is_refused_and_counted(bridge_settings, standin):
    body = body_of(stripe_deleted("sub_x", "cus_x", int(time.time())))
    stale = signing.stripe_headers(body, SECRETS["stripe"], at=int(time.time()) - 3600)
    before = WEBHOOKS.labels("stripe", "refused", "bad_signature")._value.get()
    async with bridge(bridge_settings(max_body_bytes=4096)) as client:
        answers = {
            "unsigned": await client.post("/webhooks/stripe", content=body),
            "wrong secret": await client.post(
                "/webhooks/stripe", content=body, headers=signing.stripe_headers(body, "whsec_guess")
            ),
            "altered": await client.post(
                "/webhooks/stripe", content=body + b" ", headers=signing.stripe_headers(body, SECRETS["stripe"])
            ),
            "stale": await client.post("/webhooks/stripe", content=body, headers=stale),
            "paddle unsigned": await client.post("/webhooks/paddle", content=body),
            "chargebee wrong": await client.post(
                "/webhooks/chargebee", content=body, headers=signing.chargebee_headers("hooks:guess")
            ),
            "recurly stale": await client.post(
                "/webhooks/recurly", content=body, headers=signing.recurly_headers(body, SECRETS["recurly"], at_ms=1)
            ),
            "standard wrong": await client.post(
                "/v1/events", content=body, headers=signing.standard_headers(body, "whsec_Z3Vlc3M=")
            ),
            "too large": await client.post("/webhooks/stripe", content=b"{" + b" " * 5000 + b"}"),
        }
    codes = {name: (r.status_code, r.json()["error"]["code"]) for name, r in answers.items()}
    assert codes == {
        "unsigned": (400, "missing_signature"),
        "wrong secret": (400, "bad_signature"),
        "altered": (400, "bad_signature"),
        "stale": (400, "stale_timestamp"),
        "paddle unsigned": (400, "missing_signature"),
        "chargebee wrong": (400, "bad_signature"),
        "recurly stale": (400, "stale_timestamp"),
        "standard wrong": (400, "bad_signature"),
        "too large": (413, "too_large"),
    }
    assert WEBHOOKS.labels("stripe", "refused", "bad_signature")._value.get() - before == 2
    assert standin.store.requests == [], "nothing was looked up for a refused webhook"


async def test_a_provider_api_that_is_down_is_503_and_the_retry_starts_the_journey(
    bridge_settings, standin, orchestrator
):
    sub, customer = f"sub_{uuid.uuid4().hex[:10]}", f"cus_{uuid.uuid4().hex[:10]}"
    await standin.put("stripe", "customers", customer, stripe_customer(customer, email=f"{sub}@example.com"))
    standin.store.failures = 1
    body = body_of(stripe_deleted(sub, customer, int(time.time())))
    async with bridge(bridge_settings()) as client:
        down = await client.post(
            "/webhooks/stripe", content=body, headers=signing.stripe_headers(body, SECRETS["stripe"])
        )
        retried = await client.post(
            "/webhooks/stripe", content=body, headers=signing.stripe_headers(body, SECRETS["stripe"])
        )
        (journey,) = await eventually_journeys(orchestrator, sub)
    assert down.status_code == 503 and int(down.headers["retry-after"]) > 0
    assert retried.status_code == 200 and journey["initiated_by"] == "customer"


async def test_kafka_unreachable_is_503_with_retry_after(bridge_settings, standin):
    customer = "cus_kafka_away"
    await standin.put("stripe", "customers", customer, stripe_customer(customer, email="away@example.com"))
    body = body_of(stripe_deleted("sub_kafka_away", customer, int(time.time())))
    async with bridge(
        bridge_settings(kafka_timeout_seconds=1.0, topic_subscription_cancelled="no.such.topic.here")
    ) as client:
        answer = await client.post(
            "/webhooks/stripe", content=body, headers=signing.stripe_headers(body, SECRETS["stripe"])
        )
    assert answer.status_code == 503 and answer.json()["error"]["code"] == "unavailable"
    assert int(answer.headers["retry-after"]) == 30


async def test_an_unconfigured_provider_and_an_event_that_changes_nothing(bridge_settings):
    body = body_of({"id": "evt_1", "object": "event", "type": "invoice.paid", "data": {"object": {}}})
    async with bridge(bridge_settings(paddle_webhook_secret="")) as client:
        ignored = await client.post(
            "/webhooks/stripe", content=body, headers=signing.stripe_headers(body, SECRETS["stripe"])
        )
        unconfigured = await client.post("/webhooks/paddle", content=body)
    assert ignored.status_code == 200 and ignored.json() == {"status": "ignored", "published": 0}
    assert unconfigured.status_code == 404


async def _consumed(topic: str, outcome: str, count: int) -> bool:
    return CONSUMED.labels(topic, outcome)._value.get() >= count
