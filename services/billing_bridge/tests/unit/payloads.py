"""Webhook bodies as the providers document them (trimmed to what the bridge reads, values from their docs'
examples), and helpers to vary them."""

import copy

# https://docs.stripe.com/api/events/object with a subscription (https://docs.stripe.com/api/subscriptions/object)
STRIPE_SUBSCRIPTION = {
    "id": "sub_1MowQVLkdIwHu7ixeRlqHVzs",
    "object": "subscription",
    "customer": "cus_Na6dX7aXxi11N4",
    "status": "active",
    "cancel_at": None,
    "cancel_at_period_end": False,
    "canceled_at": None,
    "cancellation_details": {"comment": None, "feedback": None, "reason": None},
    "ended_at": None,
    "items": {
        "object": "list",
        "data": [
            {
                "id": "si_Na6dzxczY5fwHx",
                "object": "subscription_item",
                "current_period_end": 1682604480,
                "current_period_start": 1679926080,
                "price": {"id": "price_1MowQULkdIwHu7ixraBm864M", "object": "price", "lookup_key": "pro-monthly"},
            }
        ],
    },
}


def stripe_event(kind: str, subscription: dict, previous: dict | None = None, created: int = 1680000000) -> dict:
    data = {"object": subscription} | ({"previous_attributes": previous} if previous is not None else {})
    return {
        "id": "evt_1NG8Du2eZvKYlo2CUI79vXWy",
        "object": "event",
        "api_version": "2025-03-31.basil",
        "created": created,
        "data": data,
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": "req_1", "idempotency_key": None},
        "type": kind,
    }


def stripe_sub(**changes) -> dict:
    return copy.deepcopy(STRIPE_SUBSCRIPTION) | changes


# https://developer.paddle.com/webhooks/subscriptions/subscription-canceled
PADDLE_SUBSCRIPTION = {
    "id": "sub_01hv8x29kz0t586xy6zn1a62ny",
    "status": "active",
    "customer_id": "ctm_01hv6y1jedq4p1n0yqn5ba3ky4",
    "address_id": "add_01hv8gq3318ktkfengj2r75gfx",
    "business_id": None,
    "currency_code": "USD",
    "canceled_at": None,
    "scheduled_change": None,
    "current_billing_period": {"starts_at": "2024-04-12T10:18:48.294633Z", "ends_at": "2024-05-12T10:18:48.294633Z"},
    "items": [
        {"status": "active", "quantity": 10, "price": {"id": "pri_01gsz8x8sawmvhz1pv30nge1ke", "name": "Monthly"}}
    ],
    "custom_data": None,
}


def paddle_event(kind: str, subscription: dict, occurred_at: str = "2024-04-12T10:38:00.123456Z") -> dict:
    return {
        "event_id": "evt_01hv8x2acma0j7ys7zt3spfawr",
        "event_type": kind,
        "occurred_at": occurred_at,
        "notification_id": "ntf_01hv8x2af3kpdeekyg5krhz2ee",
        "data": subscription,
    }


def paddle_sub(**changes) -> dict:
    return copy.deepcopy(PADDLE_SUBSCRIPTION) | changes


# https://apidocs.chargebee.com/docs/api/events (an event with subscription and customer in its content)
CHARGEBEE_CONTENT = {
    "subscription": {
        "id": "AzZlGJSgqLkMYAt",
        "customer_id": "AzZlGJSgqLkMYAt",
        "status": "cancelled",
        "cancelled_at": 1700000000,
        "current_term_end": 1700000000,
        "subscription_items": [{"item_price_id": "basic-USD-monthly", "item_type": "plan", "quantity": 1}],
    },
    "customer": {
        "id": "AzZlGJSgqLkMYAt",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "company": None,
        "preferred_currency_code": "USD",
        "billing_address": {"first_name": "Ada", "last_name": "Lovelace", "country": "DE"},
    },
}


def chargebee_event(kind: str, occurred_at: int = 1699999000, **subscription_changes) -> dict:
    content = copy.deepcopy(CHARGEBEE_CONTENT)
    content["subscription"] |= subscription_changes
    return {
        "id": "ev_AzZlGJSgqLkMYB2",
        "occurred_at": occurred_at,
        "source": "admin_console",
        "object": "event",
        "api_version": "v2",
        "event_type": kind,
        "webhook_status": "scheduled",
        "content": content,
    }


# https://docs.recurly.com/docs/subscription-notifications (JSON) and the v2021-02-25 Subscription and Account
RECURLY_SUBSCRIPTION = {
    "id": "ra8foq26o2dt",
    "object": "subscription",
    "uuid": "63ab531e1d5b1d47eaf1ef44eeb853c3",
    "account": {"id": "r2fqsogdmc6c", "object": "account", "code": "1", "email": "verena@example.com"},
    "plan": {"id": "pl1", "object": "plan", "code": "gold", "name": "Gold plan"},
    "state": "canceled",
    "canceled_at": "2022-07-27T14:00:00Z",
    "expires_at": "2022-08-26T22:01:56Z",
    "current_period_ends_at": "2022-08-26T22:01:56Z",
    "expiration_reason": None,
}
RECURLY_ACCOUNT = {
    "id": "r2fqsogdmc6c",
    "object": "account",
    "code": "1",
    "email": "verena@example.com",
    "first_name": "Verena",
    "last_name": "Example",
    "company": "Example Inc",
    "vat_number": None,
    "preferred_locale": "de-DE",
    "preferred_time_zone": "Europe/Berlin",
    "address": {"country": "DE"},
}


def recurly_notification(event_type: str, event_time: str = "2022-07-27T14:00:01Z") -> dict:
    return {
        "id": "ra8foq26o2dt",
        "object_type": "subscription",
        "site_id": "qc326l1hl8k9",
        "event_type": event_type,
        "event_time": event_time,
        "uuid": "63ab531e1d5b1d47eaf1ef44eeb853c3",
    }
