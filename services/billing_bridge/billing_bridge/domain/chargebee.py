"""Chargebee's subscription events (https://apidocs.chargebee.com/docs/api/events) as facts. Chargebee's webhook
carries the subscription and the customer in `content`, so no lookup is needed.

- `subscription_cancelled`: cancelled; access ended at `cancelled_at`.
- `subscription_cancellation_scheduled`: cancelled at `cancelled_at` (the moment to come), requested at the
  event's `occurred_at`.
- `subscription_scheduled_cancellation_removed`, `subscription_reactivated`: reactivated at `occurred_at`.
- anything else: nothing.

Chargebee may deliver these out of order; a reactivation that arrives before the cancellation it undoes is kept
by the orchestrator and stops that journey before any step (its `reactivated_at` is later). `cancel_reason`
`not_paid` and `no_card` are involuntary churn; Chargebee's other reasons (fraud review, compliance, tax) the
merchant's; none, the customer's. `cancel_reason_code` (the site's own reason list) becomes the reason.
"""

from typing import Any

from billing_bridge.domain.customers import CustomerFacts, first, full_name, obj, text
from billing_bridge.domain.events import Cancelled, Fact, Reactivated, from_unix

PAYMENT_FAILURE = ("not_paid", "no_card")
REACTIVATIONS = ("subscription_scheduled_cancellation_removed", "subscription_reactivated")


def read(event: dict[str, Any], *, b2b_rule: str = "company_or_tax_id") -> list[Fact]:
    kind = event.get("event_type")
    content = obj(event.get("content"))
    subscription, customer = obj(content.get("subscription")), obj(content.get("customer"))
    if not isinstance(subscription.get("id"), str):
        return []
    occurred = from_unix(event.get("occurred_at"))
    customer_id = text(subscription.get("customer_id")) or text(customer.get("id")) or ""
    if kind in REACTIVATIONS:
        return [Reactivated(subscription["id"], customer_id, occurred)] if occurred else []
    if kind == "subscription_cancelled":
        ended = from_unix(subscription.get("cancelled_at")) or occurred
        requested = ended
    elif kind == "subscription_cancellation_scheduled":
        ended, requested = from_unix(subscription.get("cancelled_at")), occurred
    else:
        return []
    if ended is None or requested is None:
        return []
    reason = text(subscription.get("cancel_reason"))
    return [
        Cancelled(
            subscription_id=subscription["id"],
            customer_ref=customer_id,
            requested_at=requested,
            cancelled_at=requested,
            effective_at=ended,
            initiated_by="payment_failure" if reason in PAYMENT_FAILURE else "merchant" if reason else "customer",
            reason=text(subscription.get("cancel_reason_code")) or text(reason),
            plan=_plan(subscription),
            customer=_customer(customer, b2b_rule),
        )
    ]


def _customer(customer: dict, b2b_rule: str) -> CustomerFacts:
    address = obj(customer.get("billing_address"))
    return CustomerFacts(
        email=text(customer.get("email")),
        name=full_name(customer.get("first_name"), customer.get("last_name")),
        company=text(customer.get("company")) or text(address.get("company")),
        tax_id=text(customer.get("vat_number")),
        locale=text(customer.get("preferred_locale") or customer.get("locale")),
        country=text(address.get("country")),
        b2b_rule=b2b_rule,  # type: ignore[arg-type]
    )


def _plan(subscription: dict) -> str | None:
    return text(first(subscription.get("subscription_items")).get("item_price_id")) or text(subscription.get("plan_id"))
