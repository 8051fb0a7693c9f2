"""Each provider's webhooks, as their documentation shows them, to the facts they mean; the awkward ones
included (issue 24): Stripe's cancel_at set without cancel_at_period_end, Stripe's deleted after a cancellation
at the period's end (one cancellation), Chargebee out of order, Paddle's scheduled change removed, Recurly's
expired after canceled."""

from datetime import UTC, datetime

from billing_bridge.domain import chargebee, paddle, recurly, stripe
from billing_bridge.domain.customers import CustomerFacts
from billing_bridge.domain.events import Cancelled, Provider, Reactivated, cloud_event

from .payloads import (
    RECURLY_ACCOUNT,
    RECURLY_SUBSCRIPTION,
    chargebee_event,
    paddle_event,
    paddle_sub,
    recurly_notification,
    stripe_event,
    stripe_sub,
)

ADA = CustomerFacts(email="ada@example.com", name="Ada Lovelace", country="DE")


def at(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


def event_of(provider: str, fact) -> dict:
    return cloud_event(Provider(provider), fact, None if isinstance(fact, Reactivated) else ADA).event.model_dump(
        mode="json"
    )


# ----- Stripe -------------------------------------------------------------------------------------------------


def test_stripe_cancel_at_period_end_then_deleted_is_one_cancellation():
    requested, period_end = 1680000000, 1682604480
    scheduled = stripe_sub(cancel_at_period_end=True, cancel_at=period_end, canceled_at=requested)
    updated = stripe_event(
        "customer.subscription.updated",
        scheduled,
        previous={"cancel_at_period_end": False, "cancel_at": None, "canceled_at": None},
        created=requested,
    )
    (first,) = stripe.read(updated)
    ended = stripe_sub(
        status="canceled", cancel_at_period_end=True, cancel_at=period_end, canceled_at=requested, ended_at=period_end
    )
    (second,) = stripe.read(stripe_event("customer.subscription.deleted", ended, created=period_end))
    assert isinstance(first, Cancelled) and (first.requested_at, first.effective_at) == (at(requested), at(period_end))
    assert (second.requested_at, second.effective_at) == (first.requested_at, first.effective_at)
    assert event_of("stripe", first) == event_of("stripe", second), "the same event, byte for byte"


def test_stripe_cancel_at_without_cancel_at_period_end():
    cancel_at = 1690000000
    updated = stripe_event(
        "customer.subscription.updated",
        stripe_sub(cancel_at=cancel_at, canceled_at=1680000000),
        previous={"cancel_at": None},
    )
    (fact,) = stripe.read(updated)
    assert fact.effective_at == at(cancel_at) and fact.plan == "pro-monthly"


def test_stripe_unsetting_the_cancellation_is_a_reactivation_and_other_updates_are_nothing():
    taken_back = stripe_event(
        "customer.subscription.updated",
        stripe_sub(),
        previous={"cancel_at_period_end": True, "cancel_at": 1682604480, "canceled_at": 1680000000},
        created=1681000000,
    )
    (fact,) = stripe.read(taken_back)
    assert isinstance(fact, Reactivated) and fact.reactivated_at == at(1681000000)
    quantity = stripe_event("customer.subscription.updated", stripe_sub(), previous={"quantity": 2})
    still = stripe_event(
        "customer.subscription.updated",
        stripe_sub(cancel_at_period_end=True, cancel_at=1682604480, canceled_at=1680000000),
        previous={"cancel_at": 1682000000},  # the date moved; it is still cancelled: not a new cancellation
    )
    assert stripe.read(quantity) == [] and stripe.read(still) == []
    assert stripe.read(stripe_event("invoice.paid", stripe_sub())) == []


def test_stripe_payment_failed_and_the_customers_feedback():
    details = {"comment": None, "feedback": "too_expensive", "reason": "payment_failed"}
    ended = stripe_sub(status="canceled", canceled_at=1680000000, ended_at=1680000000, cancellation_details=details)
    (fact,) = stripe.read(stripe_event("customer.subscription.deleted", ended))
    assert (fact.initiated_by, fact.reason) == ("payment_failure", "too_expensive")
    disputed = ended | {"cancellation_details": {"reason": "payment_disputed", "feedback": None}}
    (fact,) = stripe.read(stripe_event("customer.subscription.deleted", disputed))
    assert (fact.initiated_by, fact.reason) == ("merchant", "payment_disputed")


def test_stripe_a_connected_accounts_event_has_its_own_source():
    event = stripe_event("customer.subscription.deleted", stripe_sub(ended_at=1680000000)) | {"account": "acct_1"}
    assert (
        stripe.account_of(event) == "acct_1" and Provider("stripe", "acct_1").source == "billing-bridge/stripe/acct_1"
    )


# ----- Paddle -------------------------------------------------------------------------------------------------


def test_paddle_scheduled_cancel_then_canceled_at_the_periods_end():
    change = {"action": "cancel", "effective_at": "2024-05-12T10:18:48.294633Z", "resume_at": None}
    (scheduled,) = paddle.read(paddle_event("subscription.updated", paddle_sub(scheduled_change=change)))
    assert scheduled.requested_at == datetime(2024, 4, 12, 10, 38, 0, 123456, UTC)
    assert scheduled.effective_at == datetime(2024, 5, 12, 10, 18, 48, 294633, UTC)
    assert scheduled.lookup == {"address_id": "add_01hv8gq3318ktkfengj2r75gfx"}
    canceled = paddle_sub(status="canceled", canceled_at="2024-05-12T10:18:48.294633Z")
    (ended,) = paddle.read(paddle_event("subscription.canceled", canceled, occurred_at="2024-05-12T10:18:49Z"))
    assert ended.effective_at == scheduled.effective_at and ended.plan == "pri_01gsz8x8sawmvhz1pv30nge1ke"


def test_paddle_scheduled_change_removed_is_a_reactivation():
    (fact,) = paddle.read(paddle_event("subscription.updated", paddle_sub(), occurred_at="2024-04-20T09:00:00Z"))
    assert isinstance(fact, Reactivated) and fact.reactivated_at == datetime(2024, 4, 20, 9, 0, tzinfo=UTC)
    pause = {"action": "pause", "effective_at": "2024-05-12T10:18:48Z"}
    (paused,) = paddle.read(paddle_event("subscription.updated", paddle_sub(scheduled_change=pause)))
    assert isinstance(paused, Reactivated), "paused is not cancelled"
    assert paddle.read(paddle_event("subscription.updated", paddle_sub(status="canceled"))) == []
    assert paddle.read(paddle_event("transaction.completed", paddle_sub())) == []


def test_paddle_business_and_custom_reason():
    custom = {"cancellation_reason": "too_expensive", "initiated_by": "payment_failure"}
    sub = paddle_sub(status="canceled", canceled_at="2024-04-12T10:38:00Z", business_id="biz_1", custom_data=custom)
    (fact,) = paddle.read(paddle_event("subscription.canceled", sub))
    assert (fact.reason, fact.initiated_by, fact.lookup["business_id"]) == ("too_expensive", "payment_failure", "biz_1")


# ----- Chargebee ----------------------------------------------------------------------------------------------


def test_chargebee_carries_the_customer_and_its_reasons():
    (fact,) = chargebee.read(chargebee_event("subscription_cancelled", cancel_reason="not_paid"))
    assert fact.initiated_by == "payment_failure" and fact.customer.email == "ada@example.com"
    assert fact.customer.as_contract()["timezone"] == "Europe/Berlin" and fact.plan == "basic-USD-monthly"
    (coded,) = chargebee.read(chargebee_event("subscription_cancelled", cancel_reason_code="Too expensive"))
    assert (coded.initiated_by, coded.reason) == ("customer", "Too expensive")


def test_chargebee_out_of_order_removal_comes_after_the_schedule_it_undoes():
    # The removal (occurred later) arrives first: its reactivated_at is after the scheduled cancellation's
    # request, so the orchestrator keeps it and stops that journey before any step.
    (removed,) = chargebee.read(chargebee_event("subscription_scheduled_cancellation_removed", occurred_at=1699999500))
    (scheduled,) = chargebee.read(
        chargebee_event("subscription_cancellation_scheduled", occurred_at=1699999000, status="non_renewing")
    )
    assert isinstance(removed, Reactivated) and removed.reactivated_at > scheduled.requested_at
    assert scheduled.effective_at == at(1700000000)
    assert chargebee.read(chargebee_event("subscription_renewed")) == []


# ----- Recurly ------------------------------------------------------------------------------------------------


def test_recurly_expired_after_canceled_is_one_cancellation():
    canceled = recurly.read(recurly_notification("canceled"))
    expired = recurly.read(recurly_notification("expired", event_time="2022-08-26T22:01:57Z"))
    (first,) = recurly.facts(canceled, RECURLY_SUBSCRIPTION, RECURLY_ACCOUNT, b2b_rule="company_or_tax_id")
    ended = RECURLY_SUBSCRIPTION | {"state": "expired"}
    (second,) = recurly.facts(expired, ended, RECURLY_ACCOUNT, b2b_rule="company_or_tax_id")
    assert event_of("recurly", first) == event_of("recurly", second)
    assert first.customer.segment == "b2b" and first.customer.as_contract()["timezone"] == "Europe/Berlin"
    assert first.effective_at == datetime(2022, 8, 26, 22, 1, 56, tzinfo=UTC) and first.plan == "gold"


def test_recurly_nonpayment_reactivation_and_others():
    notice = recurly.read(recurly_notification("expired"))
    unpaid = RECURLY_SUBSCRIPTION | {"canceled_at": None, "expiration_reason": "nonpayment"}
    (fact,) = recurly.facts(notice, unpaid, RECURLY_ACCOUNT, b2b_rule="never")
    assert fact.initiated_by == "payment_failure" and fact.requested_at == fact.effective_at
    assert fact.customer.segment == "b2c"
    (back,) = recurly.facts(
        recurly.read(recurly_notification("reactivated")), RECURLY_SUBSCRIPTION, RECURLY_ACCOUNT, b2b_rule="never"
    )
    assert isinstance(back, Reactivated)
    assert recurly.read(recurly_notification("renewed")) is None


# ----- the events -------------------------------------------------------------------------------------------


def test_the_event_is_the_contracts_with_a_derived_identity():
    fact = Cancelled(
        subscription_id="sub_1",
        customer_ref="cus_1",
        requested_at=at(1680000000),
        cancelled_at=at(1680000000),
        effective_at=at(1670000000),  # before the cancellation: access ends when it is cancelled
    )
    published = cloud_event(Provider("stripe"), fact, ADA)
    event = published.event
    assert (event.source, event.id) == ("billing-bridge/stripe/default", "cancelled:sub_1:2023-03-28T10:40:00Z")
    assert event.data["effective_at"] == event.data["cancelled_at"] and event.data["marketing_consent"] is False
    assert published.key == "sub_1" and event.data["customer"]["segment"] == "b2c"
