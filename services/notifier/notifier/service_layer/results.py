"""Answers to the orchestrator: one StepResult per send command, through the outbox."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.events.envelope import CloudEvent
from shared.outbox.step_results import answer_step, step_result

SOURCE = "offboarding/notifier"


async def answer(session: AsyncSession, topic: str, delivery: Any, outcome: str, **details: Any) -> None:
    """Queue the result of `delivery` (a deliveries row) in the session's transaction."""
    await answer_step(
        session,
        topic=topic,
        source=SOURCE,
        command_id=delivery.command_id,
        answering=delivery,
        outcome=outcome,
        **details,
    )


def answer_row(topic: str, delivery: Any, outcome: str, **details: Any) -> tuple[str, str, CloudEvent]:
    """The same answer as an outbox row, for a batch written at once."""
    return step_result(
        topic=topic, source=SOURCE, command_id=delivery.command_id, answering=delivery, outcome=outcome, **details
    )
