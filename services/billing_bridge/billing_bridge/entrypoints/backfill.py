"""Backfill for the days a webhook never arrived: the cancellations a provider's API lists since a date, published
with the ids their webhooks would have had, so ones already handled change nothing.

    python -m billing_bridge backfill stripe --since 2026-11-01

With BILLING_ORCHESTRATOR_URL and BILLING_ORCHESTRATOR_TOKEN (a viewer token), each subscription is first looked up
in the orchestrator: one that already has a journey is counted as already known and not published again. Without
them every cancellation found is published, and the orchestrator's deduplication has the last word (an event it
has seen changes nothing; a cancellation whose journey is still open starts no second one). Progress goes to the
terminal, a summary at the end.
"""

import argparse
import asyncio
import os
import sys
from datetime import UTC, datetime
from urllib.parse import quote

import httpx

from billing_bridge.adapters import listings
from billing_bridge.adapters.customer_api import RecurlyApi, chargebee_api, paddle_api, recurly_api, stripe_api
from billing_bridge.bootstrap import webhooks as build_webhooks
from billing_bridge.config import Settings
from billing_bridge.domain import chargebee, paddle, recurly, stripe
from billing_bridge.service_layer.webhooks import Answer
from shared.messaging.producer import create_producer

PROVIDERS = ("stripe", "paddle", "chargebee", "recurly")


async def backfill(
    provider: str, since: datetime, settings: Settings, *, orchestrator: tuple[str, str] | None = None, out=sys.stderr
) -> dict[str, int]:
    """Counts of what was found, published, already known (with `orchestrator` = (URL, viewer token)) and
    unusable (a customer without an address)."""
    counts = {"found": 0, "published": 0, "already known": 0, "unusable": 0}
    producer = create_producer(settings.kafka_bootstrap_servers, client_id="backfill", options=settings.kafka_options())
    await producer.start()
    try:
        async with httpx.AsyncClient(timeout=max(settings.provider_timeout_seconds, 10.0)) as client:
            handlers = build_webhooks(settings, producer, client)
            known = _Known(client, *(orchestrator or ("", "")))
            async for subscription_id, deliver in _found(provider, since, settings, client, handlers):
                counts["found"] += 1
                if await known(subscription_id):
                    counts["already known"] += 1
                else:
                    answer: Answer = await deliver()
                    counts["published" if answer.outcome == "accepted" else "unusable"] += 1
                if counts["found"] % 50 == 0:
                    print(f"  {counts['found']} found, {counts['published']} published", file=out)
    finally:
        await producer.stop()
    if not known.checking:
        counts.pop("already known")
    return counts


async def _found(provider: str, since: datetime, settings: Settings, client: httpx.AsyncClient, handlers):
    """(subscription id, a call that publishes its events) for each cancellation the provider lists."""
    key = lambda name: getattr(settings, name).get_secret_value()  # noqa: E731
    if provider == "stripe":
        api = stripe_api(client, settings.stripe_api_base, key("stripe_api_key"))
        async for event in listings.stripe_webhooks(api, since):
            for fact in stripe.read(event):
                yield fact.subscription_id, lambda e=event: handlers.stripe_event(e)
    elif provider == "paddle":
        api = paddle_api(client, settings.paddle_api_base, key("paddle_api_key"))
        async for event in listings.paddle_webhooks(api, since):
            for fact in paddle.read(event):
                yield fact.subscription_id, lambda e=event: handlers.paddle_event(e)
    elif provider == "chargebee":
        api = chargebee_api(client, settings.chargebee_api_base, key("chargebee_api_key"))
        async for event in listings.chargebee_webhooks(api, since):
            for fact in chargebee.read(event):
                yield fact.subscription_id, lambda e=event: handlers.chargebee_event(e)
    else:
        raw = recurly_api(client, settings.recurly_api_base, key("recurly_api_key"))
        async for subscription, account in listings.recurly_notices(RecurlyApi(raw), raw, since):
            kind = "subscription.expired" if subscription.get("state") == "expired" else "subscription.canceled"
            at = datetime.now(UTC)
            notice = recurly.Notice(kind, str(subscription.get("id")), at)
            yield (
                notice.subscription_id,
                lambda n=notice, s=subscription, a=account: handlers.recurly_subscription(n, s, a),
            )


class _Known:
    """Whether the orchestrator already has a journey for a subscription (when it can be asked)."""

    def __init__(self, client: httpx.AsyncClient, url: str, token: str) -> None:
        self._client, self._url, self._token = client, url.rstrip("/"), token
        self.checking = bool(self._url and self._token)

    async def __call__(self, subscription_id: str) -> bool:
        if not self.checking:
            return False
        answer = await self._client.get(
            f"{self._url}/v1/subscriptions/{quote(subscription_id, safe='')}/journey",
            headers={"Authorization": f"Bearer {self._token}"},
        )
        return answer.status_code == 200


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m billing_bridge backfill",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("provider", choices=PROVIDERS)
    parser.add_argument("--since", required=True, help="a date (YYYY-MM-DD) or an RFC 3339 moment")
    args = parser.parse_args(argv)
    try:
        since = datetime.fromisoformat(args.since)
    except ValueError:
        parser.error(f"--since {args.since!r} is not a date")
    since = since if since.tzinfo else since.replace(tzinfo=UTC)
    print(f"backfill: {args.provider} cancellations since {since.isoformat()}", file=sys.stderr)
    orchestrator = (os.environ.get("BILLING_ORCHESTRATOR_URL", ""), os.environ.get("BILLING_ORCHESTRATOR_TOKEN", ""))
    counts = asyncio.run(backfill(args.provider, since, Settings(), orchestrator=orchestrator))
    summary = ", ".join(f"{name}: {n}" for name, n in counts.items())
    print(
        f"backfill: {summary}" + ("" if "already known" in counts else " (already known: not checked)"), file=sys.stderr
    )
