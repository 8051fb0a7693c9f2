"""A verified webhook can still say anything (a provider's bug, a new API version, a stolen secret): the mapping
never raises on any JSON, it reads facts or nothing. Hypothesis builds the JSON, around each provider's shape."""

from hypothesis import given, settings
from hypothesis import strategies as st

from billing_bridge.domain import chargebee, paddle, recurly, stripe
from billing_bridge.domain.customers import CustomerFacts
from billing_bridge.domain.events import Cancelled, Provider, cloud_event
from shared.testing import json_shaped_like

KEYS = [
    "type",
    "event_type",
    "data",
    "object",
    "content",
    "subscription",
    "customer",
    "items",
    "id",
    "canceled_at",
    "cancel_at",
    "cancel_at_period_end",
    "previous_attributes",
    "created",
    "occurred_at",
    "scheduled_change",
    "status",
    "cancelled_at",
    "event_time",
    "object_type",
    "expires_at",
    "account",
    "plan",
    "price",
]
SHAPED = json_shaped_like(KEYS)
KINDS = st.sampled_from(
    [
        "customer.subscription.deleted",
        "customer.subscription.updated",
        "subscription.canceled",
        "subscription.updated",
        "subscription_cancelled",
        "subscription_cancellation_scheduled",
        "subscription_reactivated",
    ]
)


@settings(max_examples=400, deadline=None)
@given(SHAPED, KINDS)
def test_no_webhook_makes_the_mapping_raise(body, kind):
    for document in (body, {"type": kind, "event_type": kind, **body} if isinstance(body, dict) else body):
        if not isinstance(document, dict):
            continue
        for fact in [*stripe.read(document), *paddle.read(document), *chargebee.read(document)]:
            customer = fact.customer or CustomerFacts(email="a@example.com") if isinstance(fact, Cancelled) else None
            cloud_event(Provider("test"), fact, customer)  # and every fact makes an event
        notice = recurly.read(document)
        if notice is not None:
            recurly.facts(notice, document, document, b2b_rule="company_or_tax_id")
