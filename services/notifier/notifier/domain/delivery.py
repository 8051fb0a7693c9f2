"""A delivery (one send command, queued, sent or not) and the pure rules around sending it: whether it goes
out now, what to answer when it does not, and which deliveries of a batch may go out side by side."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from notifier.domain.consent import Defer, Protection, Skip, decide
from notifier.domain.feedback import UNREACHABLE, Feedback

PAUSED_RETRY = timedelta(hours=1)  # when a marketing email held by the reputation guard is asked for again


@dataclass(frozen=True)
class Delivery:
    """What the notifier keeps of one send command. `recipient` is personal data (None once erased)."""

    id: int
    command_id: str
    journey_id: str
    subscription_id: str
    customer_id: str
    step: str
    attempt: int
    message: str
    channel: str  # email | webhook
    category: str  # transactional | marketing, as the orchestrator tagged it
    segment: str
    marketing_consent: bool
    recipient: dict[str, Any] | None
    recipient_hash: str | None
    facts: dict[str, Any]
    status: str
    provider_message_id: str | None = None
    traceparent: str | None = None  # the trace of the command that queued it, continued by the send
    claims: int = 0  # how often it was claimed: the current claim's number is its process's lease


@dataclass(frozen=True)
class Outcome:
    """What became of a delivery: its new status, and what the orchestrator is told."""

    status: str
    result: str  # succeeded, failed, skipped, deferred
    reason: str | None = None
    retryable: bool = True
    not_before: datetime | None = None
    provider_message_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    subject: str | None = None  # of an email that went out: the delivery log shows it
    feedback: Feedback | None = None  # the server refused the address at send time (5xx hard, 4xx soft)


@dataclass(frozen=True)
class Known:
    """What the decisions of a batch need to know, read for the whole batch at once."""

    sent: dict[tuple[str, str], Delivery]  # (journey, step) -> the delivery that already went out
    suppressed: dict[str, str]  # address hash -> scope: marketing (unsubscribed) | all (bounced, complained)
    last_marketing: dict[str, datetime]  # address hash -> when the last marketing message went
    marketing_paused: str | None = None  # why the reputation guard paused marketing mail (None: it goes)


@dataclass(frozen=True)
class SendNow:
    marketing: bool  # a marketing email carries the one-click unsubscribe link


def next_move(
    delivery: Delivery,
    known: Known,
    *,
    category_of: Callable[[Delivery], str],
    now: datetime,
    protection: Protection,
) -> Outcome | SendNow:
    """Send it now, or the outcome without sending: erased, already sent, skipped (an unreachable address,
    consent, an unsubscribe, the marketing cap) or deferred (quiet hours). `category_of` is the message file's own tag."""
    if delivery.recipient is None:
        return Outcome("erased", "failed", "personal data erased", retryable=False)
    earlier = known.sent.get((delivery.journey_id, delivery.step))
    if earlier is not None and earlier.id != delivery.id:
        return Outcome(
            "duplicate",
            "succeeded",
            f"already sent as {earlier.command_id}",
            provider_message_id=earlier.provider_message_id,
        )
    scope = known.suppressed.get(delivery.recipient_hash) if delivery.recipient_hash else None
    if delivery.channel == "email" and scope == "all":
        # A hard bounce or a complaint: nothing more goes there, from any journey (skipped, not failed: a retry
        # cannot help and the journey goes on).
        return Outcome("skipped", "skipped", UNREACHABLE, retryable=False)
    category = delivery.category
    if delivery.channel == "email" and category_of(delivery) == "marketing":
        category = "marketing"  # the notifier's own tag wins when it is the stricter one
    if category == "marketing" and known.marketing_paused and delivery.channel == "email":
        # Held, not dropped: the orchestrator asks again in an hour, and an operator's resume lets it go.
        return Outcome(
            "deferred", "deferred", f"marketing paused: {known.marketing_paused}", not_before=now + PAUSED_RETRY
        )
    decision = decide(
        category=category,
        consent=delivery.marketing_consent,
        suppressed=scope is not None,
        last_marketing_at=known.last_marketing.get(delivery.recipient_hash),
        now=now,
        timezone=delivery.recipient.get("timezone"),
        protection=protection,
    )
    if isinstance(decision, Skip):
        return Outcome("skipped", "skipped", decision.reason)
    if isinstance(decision, Defer):
        return Outcome("deferred", "deferred", decision.reason, not_before=decision.until)
    return SendNow(marketing=category == "marketing")


def one_per_customer_step(batch: list[Delivery]) -> tuple[list[Delivery], list[Delivery]]:
    """Split a batch into what may be sent side by side and what waits for the next round: never two
    deliveries of one journey step at once, nor two marketing messages to one address."""
    now, later, seen = [], [], set()
    for delivery in batch:
        keys = {(delivery.journey_id, delivery.step)}
        if delivery.category == "marketing":
            keys.add(delivery.recipient_hash)
        if keys & seen:
            later.append(delivery)
        else:
            seen |= keys
            now.append(delivery)
    return now, later
