"""How a service answers one of the orchestrator's step commands: a StepResult, queued in the outbox in the
caller's transaction (so the answer goes out exactly when the work it reports is committed), signed with the
journey's MAC key like everything on the internal topics (shared.signing)."""

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from shared.events.commands import StepResult
from shared.events.envelope import CloudEvent, new_event
from shared.keyring import Keyring
from shared.logging import get_logger
from shared.outbox.table import add_many_to_outbox

log = get_logger(__name__)


class Answerable(Protocol):
    """What identifies the step being answered: a step command, or a row that copied its fields."""

    journey_id: str
    subscription_id: str
    step: str
    attempt: int


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


async def queue_signed(session: AsyncSession, rows: list[tuple[str, str | None, CloudEvent]], keyring: Keyring) -> None:
    """Queue messages about journeys (each event's `data.journey_id`), each signed with its journey's MAC key:
    one keyring statement for all. A row whose journey has no keys goes unsigned (its reader will refuse it);
    that cannot happen for an answer to a command, whose journey was checked when it came in."""
    if not rows:
        return
    keys = await keyring.get([event.data["journey_id"] for _, _, event in rows])
    mac_keys = [
        keys[event.data["journey_id"]].mac if event.data["journey_id"] in keys else None for _, _, event in rows
    ]
    for (topic, _, event), mac_key in zip(rows, mac_keys, strict=True):
        if mac_key is None:
            log.warning("message_without_journey_keys", topic=topic, journey_id=event.data["journey_id"])
    await add_many_to_outbox(session, rows, mac_keys=mac_keys)
