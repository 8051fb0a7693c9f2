"""Paddle Billing's subscription events (https://developer.paddle.com/build/subscriptions/cancel-subscriptions)
as facts.

- `subscription.canceled`: the subscription is canceled: cancelled, access ended at `canceled_at`.
- `subscription.updated` with a `scheduled_change` whose action is `cancel`: cancelled at the period's end
  (`scheduled_change.effective_at`), requested at the event's `occurred_at`.
- `subscription.updated` of a subscription that is not canceled and has no scheduled cancellation: reactivated
  at `occurred_at`. Paddle's webhooks do not say what changed, so every such update says "not cancelled (any
  more)": the orchestrator keeps it, and it stops only a journey whose cancellation came before it.
- anything else: nothing.

Paddle does not say why a subscription was canceled; `custom_data.cancellation_reason` is read when the merchant
sets it, and `custom_data.initiated_by` (`payment_failure`, `merchant`) likewise. The customer is looked up
(`customer_id`, with `business_id` and `address_id`).
"""

from typing import Any

from billing_bridge.domain.customers import first, obj, text
from billing_bridge.domain.events import Cancelled, Fact, Reactivated, from_iso

INITIATED_BY = ("customer", "merchant", "payment_failure")


def read(event: dict[str, Any]) -> list[Fact]:
    kind, subscription = event.get("event_type"), obj(event.get("data"))
    if kind not in ("subscription.canceled", "subscription.updated") or not isinstance(subscription.get("id"), str):
        return []
    occurred = from_iso(event.get("occurred_at"))
    if kind == "subscription.canceled":
        ended = from_iso(subscription.get("canceled_at")) or occurred
        return [_cancelled(subscription, requested=ended, effective=ended)] if ended else []
    if subscription.get("status") == "canceled" or occurred is None:
        return []
    change = obj(subscription.get("scheduled_change"))
    if change.get("action") == "cancel":
        end = from_iso(change.get("effective_at"))
        return [_cancelled(subscription, requested=occurred, effective=end)] if end else []
    return [Reactivated(subscription["id"], _text(subscription.get("customer_id")), occurred)]


def _cancelled(subscription: dict, *, requested, effective) -> Cancelled:
    custom = obj(subscription.get("custom_data"))
    initiated_by = custom.get("initiated_by") if custom.get("initiated_by") in INITIATED_BY else "customer"
    lookup = {k: subscription[k] for k in ("business_id", "address_id") if isinstance(subscription.get(k), str)}
    return Cancelled(
        subscription_id=subscription["id"],
        customer_ref=_text(subscription.get("customer_id")),
        requested_at=requested,
        cancelled_at=requested,
        effective_at=effective,
        initiated_by=initiated_by,
        reason=custom.get("cancellation_reason") if isinstance(custom.get("cancellation_reason"), str) else None,
        plan=_plan(subscription),
        lookup=lookup,
    )


def _plan(subscription: dict) -> str | None:
    return text(obj(first(subscription.get("items")).get("price")).get("id"))


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
