"""What a provider's webhook means for us, in neutral terms, and the events of contract section 1 it becomes.

A provider module (stripe.py, paddle.py, ...) reads a verified webhook into zero or more `Cancelled` and
`Reactivated` facts: pure code, no I/O. The customer's details come later (the provider's API, or the webhook
itself where it carries them). `cloud_event` then builds the CloudEvent whose identity is derived from the
cancellation itself, not from the delivery: the provider account, the subscription, and the moment the
cancellation (or the reactivation) was requested. So a webhook delivered twice, retried for days, or sent twice
for one cancellation (Stripe's `updated` at the request and `deleted` at the end of the period) is the same event
for the orchestrator, which starts one journey for it (docs/billing.md, "One cancellation, one journey").
"""

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Literal

from billing_bridge.domain.customers import CustomerFacts
from shared.events.envelope import CloudEvent

InitiatedBy = Literal["customer", "merchant", "payment_failure"]
SOURCE_PREFIX = "billing-bridge"  # the orchestrator knows events of this source as derived (shared.events.identity)


@dataclass(frozen=True)
class Cancelled:
    """A subscription was cancelled (now, or at a moment to come)."""

    subscription_id: str
    customer_ref: str  # the provider's customer id, to look the customer up
    requested_at: datetime  # when the cancellation was asked for: part of its identity
    cancelled_at: datetime
    effective_at: datetime  # when access ends
    initiated_by: InitiatedBy = "customer"
    reason: str | None = None
    plan: str | None = None
    customer: CustomerFacts | None = None  # when the webhook carries the customer itself (Chargebee)
    lookup: dict[str, str] = field(default_factory=dict, compare=False)  # more ids the customer lookup needs


@dataclass(frozen=True)
class Reactivated:
    """A cancellation was taken back (a scheduled one removed, or the subscription reactivated)."""

    subscription_id: str
    customer_ref: str
    reactivated_at: datetime


Fact = Cancelled | Reactivated


@dataclass(frozen=True)
class Provider:
    """Which provider and which of its accounts the facts come from: the `source` of their events."""

    name: str
    account: str = "default"

    @property
    def source(self) -> str:
        return f"{SOURCE_PREFIX}/{self.name}/{self.account}"


@dataclass(frozen=True)
class Published:
    """An event ready for Kafka: its topic kind, key and CloudEvent (and, from /v1/events, the exact bytes the
    caller signed, which go on unchanged)."""

    kind: Literal["cancelled", "reactivated"]
    key: str
    event: CloudEvent
    raw: bytes | None = None

    @property
    def value(self) -> bytes:
        return self.raw if self.raw is not None else self.event.to_json_bytes()


def cloud_event(provider: Provider, fact: Fact, customer: CustomerFacts | None = None) -> Published:
    """The contract's event for a fact: structured CloudEvent, deterministic id and time."""
    if isinstance(fact, Reactivated):
        moment = _utc(fact.reactivated_at)
        data = {
            "subscription_id": fact.subscription_id,
            "customer_id": fact.customer_ref,
            "reactivated_at": _iso(moment),
        }
        event_id = f"reactivated:{fact.subscription_id}:{_iso(moment)}"
        return Published(
            "reactivated", fact.subscription_id, _event("subscription.reactivated", provider, event_id, moment, data)
        )
    who = customer or fact.customer
    assert who is not None, "a cancellation needs its customer's details"
    requested = _utc(fact.requested_at)
    data = {
        "subscription_id": fact.subscription_id,
        "customer_id": fact.customer_ref,
        "customer": who.as_contract(),
        "plan": fact.plan,
        "initiated_by": fact.initiated_by,
        "reason": fact.reason,
        "cancelled_at": _iso(_utc(fact.cancelled_at)),
        "effective_at": _iso(max(_utc(fact.effective_at), _utc(fact.cancelled_at))),
        "marketing_consent": False,  # no provider says so: only an explicit `true` is consent
    }
    event_id = f"cancelled:{fact.subscription_id}:{_iso(requested)}"
    return Published(
        "cancelled", fact.subscription_id, _event("subscription.cancelled", provider, event_id, requested, data)
    )


def with_customer(fact: Fact, customer: CustomerFacts | None) -> Fact:
    return replace(fact, customer=customer) if isinstance(fact, Cancelled) else fact


def _event(type_: str, provider: Provider, event_id: str, moment: datetime, data: dict) -> CloudEvent:
    return CloudEvent(
        specversion="1.0",
        id=event_id,
        source=provider.source,
        type=type_,
        time=moment,
        datacontenttype="application/json",
        data=data,
    )


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def from_unix(value: object) -> datetime | None:
    """A provider's Unix time (seconds) as a UTC moment; None when absent or not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def from_iso(value: object) -> datetime | None:
    """A provider's RFC 3339 time as a UTC moment; None when absent or unreadable."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return _utc(moment)
