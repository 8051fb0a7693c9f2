"""Handlers for the orchestrator's commands, in the consumer's transaction: a send command joins the send
queue (or is answered at once if that message already went out); an erasure forgets the journey's data."""

import hashlib

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notifier.adapters.tables import deliveries, unsubscribe_tokens
from notifier.service_layer.results import answer
from shared.events.commands import ErasePersonalData, SendMessage
from shared.logging import get_logger

log = get_logger(__name__)


def address_hash(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()


async def accept_send(command: SendMessage, command_id: str, session: AsyncSession, *, results_topic: str) -> None:
    """Queue the message; if this journey's step was already sent (an earlier command), answer with that."""
    values = {
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
    }
    earlier = await sent_before(session, command.journey_id, command.step)
    status = "duplicate" if earlier else "queued"
    row = (
        await session.execute(
            insert(deliveries)
            .values(
                **values,
                status=status,
                reason=f"already sent as {earlier.command_id}" if earlier else None,
                provider_message_id=earlier.provider_message_id if earlier else None,
            )
            .on_conflict_do_nothing(index_elements=["command_id"])
            .returning(deliveries)
        )
    ).first()
    if row is not None and earlier is not None:
        # The customer already has this message: never send it twice, tell the orchestrator it is done.
        await answer(
            session,
            results_topic,
            row,
            "succeeded",
            reason="already sent",
            data={"provider_message_id": earlier.provider_message_id, "channel": earlier.channel},
        )


async def sent_before(session: AsyncSession, journey_id: str, step: str, *, other_than: int | None = None):
    query = sa.select(deliveries).where(
        deliveries.c.journey_id == journey_id, deliveries.c.step == step, deliveries.c.status == "sent"
    )
    if other_than is not None:
        query = query.where(deliveries.c.id != other_than)
    return (await session.execute(query.limit(1))).first()


async def erase(command: ErasePersonalData, session: AsyncSession, *, results_topic: str) -> None:
    """Forget the journey's recipients; messages still queued are not sent. The suppression list stays:
    an unsubscribed address keeps getting no marketing, and it holds only a hash."""
    queued = (
        await session.execute(
            sa.update(deliveries)
            .where(deliveries.c.journey_id == command.journey_id, deliveries.c.status == "queued")
            .values(status="erased", reason="personal data erased before sending", updated_at=sa.func.now())
            .returning(deliveries)
        )
    ).all()
    for row in queued:
        await answer(session, results_topic, row, "failed", reason="personal data erased", retryable=False)
    await session.execute(
        sa.update(deliveries)
        .where(deliveries.c.journey_id == command.journey_id)
        .values(recipient=None, recipient_hash=None, subject=None, updated_at=sa.func.now())
    )
    await session.execute(sa.delete(unsubscribe_tokens).where(unsubscribe_tokens.c.journey_id == command.journey_id))
    log.info("personal_data_erased", journey_id=command.journey_id, unsent=len(queued))
