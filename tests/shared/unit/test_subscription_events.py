"""The billing events' data: defaults, required fields, versions."""

import pytest

from shared.events.envelope import CloudEvent, InvalidMessage
from shared.events.registry import EventData, EventRegistry
from shared.events.subscription import SubscriptionCancelled, billing_events

DATA = {
    "subscription_id": "sub_123",
    "customer_id": "cus_456",
    "customer": {"email": "ada@example.com", "name": "Ada Lovelace"},
    "cancelled_at": "2026-11-24T10:00:00Z",
}


def event(data, type_="subscription.cancelled", **ext):
    return CloudEvent(
        specversion="1.0", id="e1", source="billing/acme", type=type_, time="2026-11-24T10:00:00Z", data=data, **ext
    )


def test_documented_defaults_apply():
    cancelled = billing_events.read(event(DATA))
    assert isinstance(cancelled, SubscriptionCancelled)
    assert cancelled.customer.segment == "b2c"
    assert cancelled.customer.locale == "en"
    assert cancelled.customer.timezone == "UTC"
    assert cancelled.initiated_by == "customer"
    assert cancelled.effective_at == cancelled.cancelled_at
    assert cancelled.marketing_consent is False
    assert cancelled.account_manager is None


def test_an_account_manager_name_is_cleaned_like_a_customer_name():
    cancelled = billing_events.read(event(DATA | {"account_manager": "Grace\u202e\nHopper\x00"}))
    assert cancelled.account_manager == "Grace Hopper" and "account_manager:cleaned" in cancelled.cleaned
    assert billing_events.read(event(DATA | {"account_manager": None})).account_manager is None


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"subscription_id": None}, "subscription_id"),
        ({"customer_id": ""}, "customer_id"),
        ({"customer": {"name": "Ada"}}, "customer.email"),
        ({"customer": {"email": "not-an-address"}}, "customer.email"),
        ({"customer": {"email": "a@example.com", "segment": "b2g"}}, "customer.segment"),
        ({"initiated_by": "robot"}, "initiated_by"),
        ({"cancelled_at": "soon"}, "cancelled_at"),
        ({"cancelled_at": "2026-11-24T10:00:00"}, "time zone"),
    ],
)
def test_invalid_data_names_the_field(change, field):
    with pytest.raises(InvalidMessage) as caught:
        billing_events.read(event({**DATA, **change}))
    assert caught.value.reason == "invalid_data"
    assert field in caught.value.detail


def test_unknown_type_and_future_version_are_rejected():
    with pytest.raises(InvalidMessage) as unknown:
        billing_events.read(event(DATA, type_="subscription.paused"))
    assert unknown.value.reason == "unknown_type"
    with pytest.raises(InvalidMessage) as future:
        billing_events.read(event(DATA, dataversion="2"))
    assert future.value.reason == "unsupported_version"


def test_old_versions_are_upcast_to_the_newest_model():
    registry = EventRegistry()

    @registry.register
    class Renamed(EventData):
        event_type = "thing.happened"
        version = 2
        thing_id: str

    @registry.upcaster("thing.happened", from_version=1)
    def rename_id(data):
        return {"thing_id": data["id"]}

    assert registry.read(event({"id": "t1"}, type_="thing.happened")) == Renamed(thing_id="t1")
    assert registry.read(event({"thing_id": "t2"}, type_="thing.happened", dataversion=2)) == Renamed(thing_id="t2")
