"""Answers to the orchestrator: one StepResult per send command, through the outbox."""

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.events.envelope import CloudEvent
from shared.outbox.step_results import step_result
from shared.outbox.table import add_many_to_outbox

SOURCE = "offboarding/notifier"


async def answer(session: AsyncSession, topic: str, delivery: Any, outcome: str, **details: Any) -> None:
    """Queue the result of `delivery` (a deliveries row) in the session's transaction."""
    await add_many_to_outbox(session, [answer_row(topic, delivery, outcome, **details)])


def answer_row(topic: str, delivery: Any, outcome: str, **details: Any) -> tuple[str, str, CloudEvent]:
    """The same answer as an outbox row, for a batch written at once."""
    return step_result(
        topic=topic, source=SOURCE, command_id=delivery.command_id, answering=delivery, outcome=outcome, **details
    )
