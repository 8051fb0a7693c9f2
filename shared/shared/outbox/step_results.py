"""How a service answers one of the orchestrator's step commands: a StepResult, queued in the outbox in the
caller's transaction (so the answer goes out exactly when the work it reports is committed)."""

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from shared.events.commands import StepResult
from shared.events.envelope import CloudEvent, new_event
from shared.outbox.table import add_many_to_outbox


class Answerable(Protocol):
    """What identifies the step being answered: a step command, or a row that copied its fields."""

    journey_id: str
    subscription_id: str
    step: str
    attempt: int


async def answer_step(session: AsyncSession, *, topic: str, source: str, **answer: Any) -> None:
    """Queue one answer (see `step_result`) in the session's transaction."""
    await add_many_to_outbox(session, [step_result(topic=topic, source=source, **answer)])


def step_result(
    *,
    topic: str,
    source: str,
    command_id: str,
    answering: Answerable,
    outcome: str,
    reason: str | None = None,
    retryable: bool = True,
    not_before: datetime | None = None,
    data: dict[str, Any] | None = None,
) -> tuple[str, str, CloudEvent]:
    """The (topic, key, event) outbox row answering a step command; several go out with add_many_to_outbox."""
    result = StepResult(
        command_id=command_id,
        journey_id=answering.journey_id,
        subscription_id=answering.subscription_id,
        step=answering.step,
        attempt=answering.attempt,
        outcome=outcome,
        reason=reason,
        retryable=retryable,
        not_before=not_before,
        data=data or {},
    )
    event = new_event(result.event_type, source, result.model_dump(mode="json"), subject=answering.journey_id)
    return topic, answering.subscription_id, event
