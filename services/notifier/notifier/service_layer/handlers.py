"""Handlers for the orchestrator's commands, in the consumer's transaction: a batch of send commands joins the
send queue at once (a command whose step already went out is answered at once instead); an erasure forgets
the journey's data."""

from sqlalchemy.ext.asyncio import AsyncSession

from notifier.adapters.repository import DeliveryRepository
from notifier.domain.delivery import Delivery, Outcome
from notifier.service_layer.results import answer_rows
from shared import tracing
from shared.events.commands import ErasePersonalData, SendMessage
from shared.logging import get_logger
from shared.outbox.table import add_many_to_outbox
from shared.personal import address_hash

log = get_logger(__name__)


async def accept_sends(commands: list[tuple[str, SendMessage]], session: AsyncSession, *, results_topic: str) -> None:
    """Queue the messages (`(command id, command)` pairs): three statements for the whole batch."""
    if not commands:
        return
    repository = DeliveryRepository(session)
    earlier = await repository.sent({(c.journey_id, c.step) for _, c in commands})
    accepted = await repository.accept([_queued(i, c, earlier.get((c.journey_id, c.step))) for i, c in commands])
    # The customer already has these messages: never send them twice, tell the orchestrator they are done.
    answers = [(d, _already_sent(earlier[(d.journey_id, d.step)])) for d in accepted if d.status == "duplicate"]
    await add_many_to_outbox(session, answer_rows(results_topic, answers))


async def erase(command: ErasePersonalData, session: AsyncSession, *, results_topic: str) -> None:
    """Forget the journey's recipients; messages still queued are not sent. The suppression list stays:
    an unsubscribed address keeps getting no marketing, and it holds only a hash."""
    unsent = await DeliveryRepository(session).forget_journey(command.journey_id)
    erased = Outcome("erased", "failed", "personal data erased", retryable=False)
    await add_many_to_outbox(session, answer_rows(results_topic, [(d, erased) for d in unsent]))
    log.info("personal_data_erased", journey_id=command.journey_id, unsent=len(unsent))


def _queued(command_id: str, command: SendMessage, earlier: Delivery | None) -> dict:
    return {
        "command_id": command_id,
        "journey_id": command.journey_id,
        "subscription_id": command.subscription_id,
        "customer_id": command.customer_id,
        "step": command.step,
        "attempt": command.attempt,
        "message": command.message,
        "channel": command.channel,
        "category": command.category,
        "segment": command.segment,
        "marketing_consent": command.marketing_consent,
        "recipient": command.recipient.model_dump(mode="json"),
        "recipient_hash": address_hash(command.recipient.email),
        "facts": command.facts,
        "status": "duplicate" if earlier else "queued",
        "reason": f"already sent as {earlier.command_id}" if earlier else None,
        "provider_message_id": earlier.provider_message_id if earlier else None,
        "traceparent": tracing.traceparent_for(command.subscription_id),
    }


def _already_sent(earlier: Delivery) -> Outcome:
    data = {"provider_message_id": earlier.provider_message_id, "channel": earlier.channel}
    return Outcome("duplicate", "succeeded", "already sent", data=data)
