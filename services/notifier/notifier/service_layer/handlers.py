"""Handlers for the orchestrator's commands, in the consumer's transaction: a batch of send commands joins the
send queue at once (a command whose step already went out is answered at once instead); an erasure forgets
the journey's data."""

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from notifier.adapters.repository import DeliveryRepository
from notifier.domain.delivery import Delivery, Outcome
from notifier.service_layer.results import answer_rows
from shared import tracing
from shared.events.commands import ErasePersonalData, Recipient, SendMessage
from shared.keyring import Keyring
from shared.logging import get_logger
from shared.outbox.table import add_many_to_outbox
from shared.personal import address_hash
from shared.sealing import Unreadable, unseal

log = get_logger(__name__)
ERASED = Outcome("erased", "failed", "personal data erased", retryable=False)


async def accept_sends(
    commands: list[tuple[str, SendMessage]], session: AsyncSession, *, results_topic: str, keyring_schema: str
) -> None:
    """Queue the messages (`(command id, command)` pairs): four statements for the whole batch. A recipient
    sealed with a key that is gone (the journey's personal data was erased meanwhile) is not sent: the
    delivery is `erased` and the orchestrator told so."""
    if not commands:
        return
    recipients = await _recipients(commands, Keyring(session, keyring_schema))
    repository = DeliveryRepository(session)
    earlier = await repository.sent({(c.journey_id, c.step) for _, c in commands})
    accepted = await repository.accept(
        [_queued(i, c, recipients.get(i), earlier.get((c.journey_id, c.step))) for i, c in commands]
    )
    # The customer already has these messages: never send them twice, tell the orchestrator they are done.
    answers = [(d, _already_sent(earlier[(d.journey_id, d.step)])) for d in accepted if d.status == "duplicate"]
    answers += [(d, ERASED) for d in accepted if d.status == "erased"]
    await add_many_to_outbox(session, answer_rows(results_topic, answers))


async def _recipients(commands: list[tuple[str, SendMessage]], keyring: Keyring) -> dict[str, Recipient]:
    """Each command's recipient, opened with its journey's key where it came sealed; none where it cannot be."""
    sealed = [c.journey_id for _, c in commands if c.sealed_recipient is not None]
    keys = await keyring.keys(sealed) if sealed else {}
    recipients = {}
    for command_id, command in commands:
        if command.sealed_recipient is None:
            recipients[command_id] = command.recipient
            continue
        try:
            opened = unseal(keys.get(command.journey_id), command.sealed_recipient)
            recipients[command_id] = Recipient.model_validate(opened)
        except (Unreadable, ValidationError) as exc:
            log.info(
                "recipient_unreadable", journey_id=command.journey_id, step=command.step, reason=type(exc).__name__
            )
    return recipients


async def erase(command: ErasePersonalData, session: AsyncSession, *, results_topic: str) -> None:
    """Forget the journey's recipients; messages still queued are not sent. The suppression list stays:
    an unsubscribed address keeps getting no marketing, and it holds only a hash."""
    unsent = await DeliveryRepository(session).forget_journey(command.journey_id)
    await add_many_to_outbox(session, answer_rows(results_topic, [(d, ERASED) for d in unsent]))
    log.info("personal_data_erased", journey_id=command.journey_id, unsent=len(unsent))


def _queued(command_id: str, command: SendMessage, recipient: Recipient | None, earlier: Delivery | None) -> dict:
    status, reason = ("duplicate", f"already sent as {earlier.command_id}") if earlier else ("queued", None)
    if recipient is None:
        status, reason = "erased", ERASED.reason
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
        "recipient": recipient.model_dump(mode="json") if recipient else None,
        "recipient_hash": address_hash(recipient.email) if recipient else None,
        "facts": command.facts,
        "status": status,
        "reason": reason,
        "provider_message_id": earlier.provider_message_id if earlier else None,
        "traceparent": tracing.traceparent_for(command.subscription_id),
    }


def _already_sent(earlier: Delivery) -> Outcome:
    data = {"provider_message_id": earlier.provider_message_id, "channel": earlier.channel}
    return Outcome("duplicate", "succeeded", "already sent", data=data)
