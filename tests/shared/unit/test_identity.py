"""The billing bridge's events are "the same" when they name the same cancellation; anyone else's when they are
the same to the byte (shared.events.identity)."""

from datetime import UTC, datetime

from shared.events.envelope import CloudEvent
from shared.events.identity import billing_fingerprint


def event(source: str, **data) -> CloudEvent:
    base = {"subscription_id": "sub_1", "customer_id": "cus_1", "plan": "pro", "customer": {"email": "a@example.com"}}
    return CloudEvent(
        specversion="1.0",
        id="cancelled:sub_1:2026-11-24T10:00:00Z",
        source=source,
        type="subscription.cancelled",
        time=datetime(2026, 11, 24, 10, tzinfo=UTC),
        data=base | data,
    )


def test_the_bridges_events_are_the_same_cancellation_whatever_else_they_say():
    bridge = "billing-bridge/stripe/default"
    first = event(bridge)
    assert billing_fingerprint(first) == billing_fingerprint(event(bridge, plan="team", customer={"email": "b@x.io"}))
    assert billing_fingerprint(first) != billing_fingerprint(event(bridge, subscription_id="sub_2"))
    assert billing_fingerprint(first) != billing_fingerprint(event(bridge, customer_id="cus_2"))


def test_anyone_elses_are_the_same_only_when_they_are_the_same():
    billing = "billing/acme"
    assert billing_fingerprint(event(billing)) == billing_fingerprint(event(billing))
    assert billing_fingerprint(event(billing)) != billing_fingerprint(event(billing, plan="team"))
