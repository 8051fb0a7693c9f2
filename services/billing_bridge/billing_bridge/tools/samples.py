"""Sample webhooks and API objects in each provider's documented shape (trimmed to what the bridge reads), for
the tests, `make publish-sample ARGS="--via <provider>"` and the benchmark."""

import time
import uuid
from datetime import UTC, datetime, timedelta


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def stripe_customer(customer_id: str, *, email: str, name: str = "Ada Lovelace", tax_id: str | None = None) -> dict:
    """https://docs.stripe.com/api/customers/object (with `expand[]=tax_ids`)."""
    tax_ids = [{"id": "txi_1", "object": "tax_id", "type": "eu_vat", "value": tax_id}] if tax_id else []
    return {
        "id": customer_id,
        "object": "customer",
        "email": email,
        "name": name,
        "preferred_locales": ["en"],
        "address": {"country": "DE", "city": "Berlin"},
        "metadata": {},
        "tax_ids": {"object": "list", "data": tax_ids, "has_more": False},
    }


def _stripe_subscription(sub: str, customer: str, **fields) -> dict:
    return {
        "id": sub,
        "object": "subscription",
        "customer": customer,
        "status": "active",
        "cancel_at": None,
        "cancel_at_period_end": False,
        "canceled_at": None,
        "ended_at": None,
        "cancellation_details": {"comment": None, "feedback": "too_expensive", "reason": "cancellation_requested"},
        "items": {"object": "list", "data": [{"id": "si_1", "price": {"id": "price_1", "lookup_key": "pro-monthly"}}]},
    } | fields


def _stripe_event(kind: str, subscription: dict, *, created: int, previous: dict | None = None) -> dict:
    data = {"object": subscription} | ({"previous_attributes": previous} if previous is not None else {})
    return {"id": f"evt_{uuid.uuid4().hex[:24]}", "object": "event", "created": created, "type": kind, "data": data}


def stripe_scheduled(sub: str, customer: str, requested: int, *, days: int = 30) -> dict:
    """The customer asks to cancel at the period's end: `customer.subscription.updated`."""
    end = requested + days * 86400
    subscription = _stripe_subscription(sub, customer, cancel_at_period_end=True, cancel_at=end, canceled_at=requested)
    previous = {"cancel_at_period_end": False, "cancel_at": None, "canceled_at": None}
    return _stripe_event("customer.subscription.updated", subscription, created=requested, previous=previous)


def stripe_deleted(sub: str, customer: str, requested: int, *, days: int = 30) -> dict:
    """The period ends: `customer.subscription.deleted` (or at once, `days=0`)."""
    end = requested + days * 86400
    subscription = _stripe_subscription(
        sub, customer, status="canceled", cancel_at_period_end=days > 0, cancel_at=end if days else None
    ) | {"canceled_at": requested, "ended_at": end}
    return _stripe_event("customer.subscription.deleted", subscription, created=end)


def paddle_customer(customer_id: str, *, email: str, name: str = "Ada Lovelace") -> dict:
    """https://developer.paddle.com/api-reference/customers/overview (the `data` of a get)."""
    return {"id": customer_id, "name": name, "email": email, "locale": "en", "status": "active"}


def paddle_canceled(sub: str, customer: str, *, at: datetime | None = None) -> dict:
    """https://developer.paddle.com/webhooks/subscriptions/subscription-canceled"""
    at = at or datetime.now(UTC)
    return {
        "event_id": f"evt_{uuid.uuid4().hex[:26]}",
        "event_type": "subscription.canceled",
        "occurred_at": _iso(at),
        "notification_id": f"ntf_{uuid.uuid4().hex[:26]}",
        "data": {
            "id": sub,
            "status": "canceled",
            "customer_id": customer,
            "address_id": None,
            "business_id": None,
            "canceled_at": _iso(at),
            "scheduled_change": None,
            "items": [{"price": {"id": "pri_01gsz8x8sawmvhz1pv30nge1ke"}}],
            "custom_data": None,
        },
    }


def chargebee_cancelled(sub: str, *, email: str, at: int | None = None) -> dict:
    """https://apidocs.chargebee.com/docs/api/events: `subscription_cancelled`, customer in the content."""
    at = at or int(time.time())
    return {
        "id": f"ev_{uuid.uuid4().hex[:16]}",
        "occurred_at": at,
        "object": "event",
        "api_version": "v2",
        "event_type": "subscription_cancelled",
        "content": {
            "subscription": {
                "id": sub,
                "customer_id": f"cust_{sub}",
                "status": "cancelled",
                "cancelled_at": at,
                "subscription_items": [{"item_price_id": "basic-EUR-monthly", "item_type": "plan"}],
            },
            "customer": {
                "id": f"cust_{sub}",
                "first_name": "Ada",
                "last_name": "Lovelace",
                "email": email,
                "billing_address": {"country": "DE"},
            },
        },
    }


def recurly_notification(sub: str, event_type: str, *, at: datetime | None = None) -> dict:
    """https://docs.recurly.com/docs/subscription-notifications (JSON)."""
    at = at or datetime.now(UTC)
    return {
        "id": sub,
        "object_type": "subscription",
        "site_id": "site1",
        "event_type": event_type,
        "event_time": _iso(at),
    }


def recurly_subscription(sub: str, account_id: str, *, canceled: datetime | None = None) -> dict:
    """GET /subscriptions/{id} (API v2021-02-25), canceled at the end of the term."""
    canceled = canceled or datetime.now(UTC)
    return {
        "id": sub,
        "object": "subscription",
        "account": {"id": account_id, "object": "account", "code": account_id},
        "plan": {"code": "gold", "name": "Gold"},
        "state": "canceled",
        "canceled_at": _iso(canceled),
        "expires_at": _iso(canceled + timedelta(days=30)),
        "current_period_ends_at": _iso(canceled + timedelta(days=30)),
        "expiration_reason": None,
    }


def recurly_account(account_id: str, *, email: str) -> dict:
    """GET /accounts/{id} (API v2021-02-25)."""
    return {
        "id": account_id,
        "object": "account",
        "code": account_id,
        "email": email,
        "first_name": "Verena",
        "last_name": "Example",
        "company": "Example Inc",
        "preferred_locale": "de-DE",
        "preferred_time_zone": "Europe/Berlin",
        "address": {"country": "DE"},
    }


def standard_cancellation(sub: str, *, email: str | None = None) -> dict:
    """A CloudEvent of contract section 1, as an in-house billing system sends it to /v1/events."""
    now = datetime.now(UTC)
    return {
        "specversion": "1.0",
        "id": f"evt_{uuid.uuid4().hex[:12]}",
        "source": "billing/in-house",
        "type": "subscription.cancelled",
        "time": _iso(now),
        "datacontenttype": "application/json",
        "data": {
            "subscription_id": sub,
            "customer_id": f"cus_{sub}",
            "customer": {"email": email or f"{sub}@example.com", "name": "Ada Lovelace", "segment": "b2c"},
            "plan": "pro-monthly",
            "cancelled_at": _iso(now),
            "effective_at": _iso(now + timedelta(days=30)),
        },
    }
