"""Stripe's subscription events (https://docs.stripe.com/billing/subscriptions/cancel) as facts.

- `customer.subscription.deleted`: the subscription has ended: cancelled, access ended at `ended_at`.
- `customer.subscription.updated` whose `cancel_at_period_end` or `cancel_at` became set (the request to cancel
  at the end of the period, or at a date): cancelled, access until `cancel_at` (or the period's end).
- the same, whose cancellation became unset again (`previous_attributes` held it, the subscription does not):
  reactivated.
- anything else: nothing.

The moment the cancellation was requested is `canceled_at` (Stripe sets it when the cancellation is asked for,
also for one at the period's end, and keeps it on the `deleted` event): so the `updated` at the request and the
`deleted` at the end are one cancellation. `cancellation_details.reason` `payment_failed` is involuntary churn;
`payment_disputed` a merchant's decision; the customer's `feedback` becomes the reason.
"""

from typing import Any

from billing_bridge.domain.customers import first, obj, text
from billing_bridge.domain.events import Cancelled, Fact, Reactivated, from_unix

FEEDBACK_REASONS = {
    "too_expensive": "too_expensive",
    "missing_features": "missing_features",
    "switched_service": "switched_competitor",
    "unused": "no_longer_needed",
    "customer_service": "poor_support",
    "too_complex": "hard_to_use",
    "low_quality": "bugs_or_reliability",
    "other": "other",
}
INITIATED_BY = {"payment_failed": "payment_failure", "payment_disputed": "merchant"}
RELEVANT = ("customer.subscription.deleted", "customer.subscription.updated")


def account_of(event: dict[str, Any]) -> str | None:
    """The connected account an event comes from (Stripe Connect), else None: the configured one."""
    return event.get("account") if isinstance(event.get("account"), str) else None


def read(event: dict[str, Any]) -> list[Fact]:
    if event.get("type") not in RELEVANT:
        return []
    data = obj(event.get("data"))
    subscription = obj(data.get("object"))
    if subscription.get("object") != "subscription" or not isinstance(subscription.get("id"), str):
        return []
    if event["type"] == "customer.subscription.deleted":
        return _ended(subscription, event)
    return _scheduled_or_taken_back(subscription, obj(data.get("previous_attributes")), event)


def _ended(subscription: dict, event: dict) -> list[Fact]:
    ended = from_unix(subscription.get("ended_at")) or from_unix(event.get("created"))
    requested = from_unix(subscription.get("canceled_at")) or ended
    if ended is None:
        return []
    return [_cancelled(subscription, requested=requested, effective=ended)]


def _scheduled_or_taken_back(subscription: dict, previous: dict, event: dict) -> list[Fact]:
    if "cancel_at_period_end" not in previous and "cancel_at" not in previous:
        return []  # the cancellation did not change (another field did)
    was_set, is_set = _scheduled(subscription | previous), _scheduled(subscription)
    if was_set == is_set:
        return []
    if is_set:
        requested = from_unix(subscription.get("canceled_at")) or from_unix(event.get("created"))
        end = from_unix(subscription.get("cancel_at")) or _period_end(subscription)
        if requested is None or end is None:
            return []
        return [_cancelled(subscription, requested=requested, effective=end)]
    taken_back = from_unix(event.get("created"))
    if taken_back is None:
        return []
    return [Reactivated(subscription["id"], _customer(subscription), taken_back)]


def _scheduled(values: dict) -> bool:
    """Whether these attributes schedule a cancellation (at the period's end, or at a date)."""
    return bool(values.get("cancel_at_period_end")) or values.get("cancel_at") is not None


def _cancelled(subscription: dict, *, requested, effective) -> Cancelled:
    details = obj(subscription.get("cancellation_details"))
    return Cancelled(
        subscription_id=subscription["id"],
        customer_ref=_customer(subscription),
        requested_at=requested,
        cancelled_at=requested,
        effective_at=effective,
        initiated_by=INITIATED_BY.get(text(details.get("reason")) or "", "customer"),
        reason=FEEDBACK_REASONS.get(text(details.get("feedback")) or "") or _reason_code(details.get("reason")),
        plan=_plan(subscription),
    )


def _customer(subscription: dict) -> str:
    customer = subscription.get("customer")
    if isinstance(customer, dict):  # expanded
        customer = customer.get("id")
    return customer if isinstance(customer, str) else ""


def _period_end(subscription: dict):
    """The current period's end: on the subscription (older API versions) or its first item (2025-03 on)."""
    if subscription.get("current_period_end") is not None:
        return from_unix(subscription["current_period_end"])
    return from_unix(first(obj(subscription.get("items")).get("data")).get("current_period_end"))


def _plan(subscription: dict) -> str | None:
    item = first(obj(subscription.get("items")).get("data"))
    price = obj(item.get("price")) or obj(item.get("plan"))
    for key in ("lookup_key", "nickname", "id"):
        if isinstance(price.get(key), str) and price[key]:
            return price[key]
    return None


def _reason_code(reason: object) -> str | None:
    return reason if reason in ("payment_failed", "payment_disputed") else None  # type: ignore[return-value]
