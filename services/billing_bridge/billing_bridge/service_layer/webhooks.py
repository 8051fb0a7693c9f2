"""From a provider's verified webhook to the events it means, published, and the answer the provider can act on:

- 200 `accepted`: its events are on Kafka (acknowledged by every in-sync replica);
- 200 `ignored`: an event type or change that starts or stops nothing;
- 200 `unusable`: a cancellation whose customer the provider no longer has an address for (deleted): retrying
  cannot help; counted and logged as a warning, nothing published;
- 400 `refused` (raised by verification): not the provider's, stale, or unreadable;
- 503 `unavailable` (raised as Unavailable): Kafka or the provider's API cannot be reached; the provider retries.

Knows no HTTP: the entry point passes the raw body and headers, and turns the Answer into a response.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from billing_bridge.adapters import verification as verify
from billing_bridge.adapters.customer_api import PaddleCustomers, RecurlyApi, StripeCustomers
from billing_bridge.config import Settings
from billing_bridge.domain import chargebee, paddle, recurly, stripe
from billing_bridge.domain.customers import CustomerFacts
from billing_bridge.domain.events import Cancelled, Fact, Provider, Published, cloud_event
from billing_bridge.domain.recurly import Notice
from shared.events.envelope import InvalidMessage, parse_kafka_message
from shared.events.subscription import SubscriptionCancelled, billing_events

Outcome = Literal["accepted", "ignored", "unusable"]


@dataclass(frozen=True)
class Answer:
    status: int
    outcome: Outcome
    reason: str | None = None
    published: int = 0


class Publisher(Protocol):
    async def publish(self, events: list[Published]) -> None: ...


Lookup = Callable[[Cancelled], Awaitable[CustomerFacts | None]]


@dataclass
class Webhooks:
    settings: Settings
    publisher: Publisher
    stripe_customers: StripeCustomers
    paddle_customers: PaddleCustomers
    recurly_api: RecurlyApi

    async def stripe(self, body: bytes, headers) -> Answer:
        s = self.settings
        return await self.stripe_event(
            verify.stripe_event(body, headers, s.secrets("stripe_webhook_secret"), s.stripe_tolerance_seconds)
        )

    async def paddle(self, body: bytes, headers) -> Answer:
        s = self.settings
        return await self.paddle_event(
            verify.paddle_event(body, headers, s.secrets("paddle_webhook_secret"), s.paddle_tolerance_seconds)
        )

    async def chargebee(self, body: bytes, headers) -> Answer:
        credentials = self.settings.secrets("chargebee_webhook_credentials")
        return await self.chargebee_event(verify.chargebee_event(body, headers, credentials))

    async def recurly(self, body: bytes, headers) -> Answer:
        s = self.settings
        webhook = verify.recurly_event(body, headers, s.secrets("recurly_webhook_secret"), s.recurly_tolerance_seconds)
        notice = recurly.read(webhook)
        if notice is None:
            return Answer(200, "ignored")
        subscription = await self.recurly_api.subscription(notice.subscription_id)
        if subscription is None:
            return Answer(200, "unusable", "subscription_unknown")
        account_id = (subscription.get("account") or {}).get("id")
        account = (await self.recurly_api.account(account_id) if isinstance(account_id, str) else None) or {}
        return await self.recurly_subscription(notice, subscription, account)

    # ----- verified events (a webhook's, or the backfill's from a provider's listing) ---------------------------

    async def stripe_event(self, event: dict) -> Answer:
        provider = Provider("stripe", stripe.account_of(event) or self.settings.stripe_account)
        return await self._deliver(provider, stripe.read(event), lambda f: self.stripe_customers.facts(f.customer_ref))

    async def paddle_event(self, event: dict) -> Answer:
        def lookup(fact: Cancelled) -> Awaitable[CustomerFacts | None]:
            return self.paddle_customers.facts(
                fact.customer_ref, business_id=fact.lookup.get("business_id"), address_id=fact.lookup.get("address_id")
            )

        return await self._deliver(Provider("paddle", self.settings.paddle_account), paddle.read(event), lookup)

    async def chargebee_event(self, event: dict) -> Answer:
        facts = chargebee.read(event, b2b_rule=self.settings.b2b_when)
        return await self._deliver(Provider("chargebee", self.settings.chargebee_account), facts, _carried)

    async def recurly_subscription(self, notice: Notice, subscription: dict, account: dict) -> Answer:
        facts = recurly.facts(notice, subscription, account, b2b_rule=self.settings.b2b_when)
        return await self._deliver(Provider("recurly", self.settings.recurly_account), facts, _carried)

    async def standard(self, body: bytes, headers) -> Answer:
        """A CloudEvent of contract section 1 from an in-house billing system: checked as the orchestrator would
        read it (a refusal names the field), then published unchanged, with its own source and id."""
        verify.standard_event(body, headers, self.settings.secrets("webhook_secret"))
        try:
            event = parse_kafka_message(body, [])
            data = billing_events.read(event)
        except InvalidMessage as error:
            raise verify.Refused("invalid_event", f"{error.reason}: {error.detail}") from None
        kind = "cancelled" if isinstance(data, SubscriptionCancelled) else "reactivated"
        await self.publisher.publish([Published(kind, data.subscription_id, event, raw=body)])
        return Answer(200, "accepted", published=1)

    async def _deliver(self, provider: Provider, facts: list[Fact], lookup: Lookup) -> Answer:
        if not facts:
            return Answer(200, "ignored")
        events = []
        for fact in facts:
            customer = None
            if isinstance(fact, Cancelled) and fact.customer is None:
                customer = await lookup(fact)
            if isinstance(fact, Cancelled) and not (customer or fact.customer or _nobody).email:
                return Answer(200, "unusable", "customer_without_email")
            events.append(cloud_event(provider, fact, customer))
        await self.publisher.publish(events)
        return Answer(200, "accepted", published=len(events))


_nobody = CustomerFacts(email=None)


async def _carried(_fact: Cancelled) -> CustomerFacts | None:
    """The webhook carried the customer (Chargebee, Recurly after its lookup): nothing more to look up."""
    return None
