"""Answers to the orchestrator: one StepResult per send command, through the outbox."""

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.events.commands import StepResult
from shared.events.envelope import new_event
from shared.outbox.table import add_to_outbox

SOURCE = "offboarding/notifier"


async def answer(
    session: AsyncSession,
    topic: str,
    delivery: Any,
    outcome: str,
    *,
    reason: str | None = None,
    retryable: bool = True,
    not_before: datetime | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    """Queue the result of `delivery` (a deliveries row) in the session's transaction."""
    result = StepResult(
        command_id=delivery.command_id,
        journey_id=delivery.journey_id,
        subscription_id=delivery.subscription_id,
        step=delivery.step,
        attempt=delivery.attempt,
        outcome=outcome,
        reason=reason,
        retryable=retryable,
        not_before=not_before,
        data=data or {},
    )
    event = new_event(result.event_type, SOURCE, result.model_dump(mode="json"), subject=delivery.journey_id)
    await add_to_outbox(session, topic=topic, key=delivery.subscription_id, event=event)
