"""One-click unsubscribe: the address is suppressed for marketing, and the orchestrator hears of it (once per
link, through the outbox in the same transaction) for the journey's timeline and the experiment insights."""

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notifier.adapters.repository import DeliveryRepository
from shared.events.commands import CustomerUnsubscribed
from shared.events.envelope import new_event
from shared.keyring import Keyring
from shared.outbox.step_results import queue_signed

SOURCE = "offboarding/notifier"


async def unsubscribe(
    sessions: async_sessionmaker[AsyncSession], token: str, *, topic: str, keyring_schema: str
) -> bool:
    """Use an unsubscribe link; False when the token is unknown (mistyped, or its journey erased)."""
    now = datetime.now(UTC)
    async with sessions() as session, session.begin():
        used = await DeliveryRepository(session).use_unsubscribe_token(token, now=now)
        if used is not None and used.first:
            told = CustomerUnsubscribed(
                journey_id=used.journey_id,
                subscription_id=used.subscription_id,
                customer_id=used.customer_id,
                unsubscribed_at=now,
            )
            event = new_event(told.event_type, SOURCE, told.model_dump(mode="json"), subject=used.journey_id)
            await queue_signed(session, [(topic, used.subscription_id, event)], Keyring(session, keyring_schema))
    return used is not None
