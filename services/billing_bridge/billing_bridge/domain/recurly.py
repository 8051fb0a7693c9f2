"""Recurly's subscription notifications (JSON webhooks, https://docs.recurly.com/docs/subscription-notifications)
as facts. A Recurly webhook names the subscription and what happened, nothing more: the subscription (and its
account) is then read from Recurly's API, and `facts` maps the two together.

- `subscription.canceled`: cancelled (at the end of the term: access until `expires_at`), requested at
  `canceled_at`.
- `subscription.expired`: the subscription has ended: cancelled, access ended at `expires_at`, requested at
  `canceled_at` when it was canceled before (then it is the same cancellation as the `canceled` before it: one
  journey), else at `expires_at`.
- `subscription.reactivated`: reactivated at the event's time.
- anything else: nothing.

`expiration_reason` `nonpayment` is involuntary churn; `canceled`, `nonrenewing` and `tax_location_invalid` are
the customer's or the merchant's as Recurly says: `canceled` the customer, the others the merchant.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from billing_bridge.domain.customers import CustomerFacts, full_name, obj, text
from billing_bridge.domain.events import Cancelled, Fact, Reactivated, from_iso

KINDS = {"subscription.canceled", "subscription.expired", "subscription.reactivated"}
MERCHANT_REASONS = {"nonrenewing", "tax_location_invalid"}


@dataclass(frozen=True)
class Notice:
    kind: str
    subscription_id: str
    at: datetime


def read(webhook: dict[str, Any]) -> Notice | None:
    """The notification, when it is one that matters; its subscription must then be read from the API."""
    kind = f"{webhook.get('object_type')}.{webhook.get('event_type')}"
    at, subscription_id = from_iso(webhook.get("event_time")), webhook.get("id")
    if kind not in KINDS or at is None or not isinstance(subscription_id, str) or not subscription_id:
        return None
    return Notice(kind, subscription_id, at)


def facts(notice: Notice, subscription: dict[str, Any], account: dict[str, Any], *, b2b_rule: str) -> list[Fact]:
    account_id = text(account.get("id")) or text(obj(subscription.get("account")).get("id")) or ""
    if notice.kind == "subscription.reactivated":
        return [Reactivated(notice.subscription_id, account_id, notice.at)]
    expires = from_iso(subscription.get("expires_at")) or from_iso(subscription.get("current_period_ends_at"))
    canceled = from_iso(subscription.get("canceled_at"))
    if notice.kind == "subscription.canceled":
        requested, effective = canceled or notice.at, expires or canceled or notice.at
    else:
        effective = expires or notice.at
        requested = canceled or effective
    reason = text(subscription.get("expiration_reason"))
    plan = obj(subscription.get("plan"))
    return [
        Cancelled(
            subscription_id=notice.subscription_id,
            customer_ref=account_id,
            requested_at=requested,
            cancelled_at=requested,
            effective_at=effective,
            initiated_by=(
                "payment_failure"
                if reason == "nonpayment"
                else "merchant"
                if reason in MERCHANT_REASONS
                else "customer"
            ),
            reason=reason,
            plan=text(plan.get("code")),
            customer=customer(account, b2b_rule),
        )
    ]


def customer(account: dict[str, Any], b2b_rule: str) -> CustomerFacts:
    address, billing = obj(account.get("address")), obj(account.get("billing_info"))
    return CustomerFacts(
        email=text(account.get("email")),
        name=full_name(account.get("first_name"), account.get("last_name")),
        company=text(account.get("company")),
        tax_id=text(account.get("vat_number")) or text(billing.get("vat_number")),
        locale=text(account.get("preferred_locale")),
        country=text(address.get("country")),
        timezone=text(account.get("preferred_time_zone")),
        b2b_rule=b2b_rule,  # type: ignore[arg-type]
    )
