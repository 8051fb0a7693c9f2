"""The cancelled subscriptions each provider's API lists (for the backfill), read page by page and turned into
the same webhook shape the mapping reads, so a backfilled cancellation gets the id its webhook would have had.

- Stripe: `GET /v1/subscriptions?status=canceled` and `?status=active` (those with a cancellation scheduled).
- Paddle: `GET /subscriptions?status=canceled` and `?status=active` (a `scheduled_change` to cancel).
- Chargebee: `GET /subscriptions?status[is]=cancelled` and `non_renewing`, with `cancelled_at[after]`.
- Recurly: `GET /subscriptions?state=canceled,expired` with `begin_time`, each with its account.
"""

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from billing_bridge.adapters.customer_api import ProviderApi, RecurlyApi
from billing_bridge.domain.events import from_iso, from_unix


async def stripe_webhooks(api: ProviderApi, since: datetime) -> AsyncIterator[dict[str, Any]]:
    for status in ("canceled", "active"):
        after = None
        while True:
            page = await api.get(
                "/v1/subscriptions", status=status, limit="100", **({"starting_after": after} if after else {})
            )
            subscriptions = (page or {}).get("data") or []
            for sub in subscriptions:
                requested = from_unix(sub.get("canceled_at"))
                if requested is None or requested < since:
                    continue
                if status == "canceled":
                    yield {
                        "type": "customer.subscription.deleted",
                        "created": sub.get("ended_at"),
                        "data": {"object": sub},
                    }
                elif sub.get("cancel_at_period_end") or sub.get("cancel_at") is not None:
                    previous = {"cancel_at_period_end": False, "cancel_at": None}
                    data = {"object": sub, "previous_attributes": previous}
                    yield {"type": "customer.subscription.updated", "created": sub.get("canceled_at"), "data": data}
            if not (page or {}).get("has_more") or not subscriptions:
                break
            after = subscriptions[-1].get("id")


async def paddle_webhooks(api: ProviderApi, since: datetime) -> AsyncIterator[dict[str, Any]]:
    for status in ("canceled", "active"):
        after = None
        while True:
            page = await api.get("/subscriptions", status=status, per_page="200", **({"after": after} if after else {}))
            subscriptions = (page or {}).get("data") or []
            for sub in subscriptions:
                if status == "canceled" and (from_iso(sub.get("canceled_at")) or since) >= since:
                    yield {"event_type": "subscription.canceled", "occurred_at": sub.get("canceled_at"), "data": sub}
                change = sub.get("scheduled_change") or {}
                if status == "active" and change.get("action") == "cancel":
                    # The request's own moment is not listed; the subscription's last update stands for it.
                    moment = sub.get("updated_at")
                    if (from_iso(moment) or since) >= since:
                        yield {"event_type": "subscription.updated", "occurred_at": moment, "data": sub}
            pagination = ((page or {}).get("meta") or {}).get("pagination") or {}
            if not pagination.get("has_more") or not subscriptions:
                break
            after = subscriptions[-1].get("id")


async def chargebee_webhooks(api: ProviderApi, since: datetime) -> AsyncIterator[dict[str, Any]]:
    kinds = {"cancelled": "subscription_cancelled", "non_renewing": "subscription_cancellation_scheduled"}
    for status, kind in kinds.items():
        offset = None
        while True:
            params = {"status[is]": status, "limit": "100"}
            params |= {"cancelled_at[after]": str(int(since.timestamp()))} if status == "cancelled" else {}
            page = await api.get("/subscriptions", **params, **({"offset": offset} if offset else {}))
            for row in (page or {}).get("list") or []:
                sub = row.get("subscription") or {}
                at = sub.get("cancelled_at") if status == "cancelled" else sub.get("updated_at")
                if (from_unix(at) or since) >= since:
                    yield {"event_type": kind, "occurred_at": at, "content": row}
            offset = (page or {}).get("next_offset")
            if not offset:
                break


async def recurly_notices(api: RecurlyApi, raw: ProviderApi, since: datetime) -> AsyncIterator[tuple[dict, dict]]:
    """(the subscription, its account) of each canceled or expired subscription changed since `since`."""
    cursor = None
    while True:
        params = {"state": "canceled,expired", "begin_time": since.isoformat(), "limit": "200", "sort": "updated_at"}
        page = await raw.get("/subscriptions", **params, **({"cursor": cursor} if cursor else {}))
        for sub in (page or {}).get("data") or []:
            account_id = (sub.get("account") or {}).get("id")
            account = (await api.account(account_id) if isinstance(account_id, str) else None) or {}
            yield sub, account
        if not (page or {}).get("has_more"):
            break
        cursor = (page or {}).get("next")
