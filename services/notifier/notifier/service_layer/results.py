"""Answers to the orchestrator: one StepResult per send command, as outbox rows for the caller's transaction."""

from notifier.domain.delivery import Delivery, Outcome
from shared.events.envelope import CloudEvent
from shared.outbox.step_results import step_result

SOURCE = "offboarding/notifier"


def answer_rows(topic: str, done: list[tuple[Delivery, Outcome]]) -> list[tuple[str, str, CloudEvent]]:
    """The answers for a batch of outcomes, to be written at once with add_many_to_outbox."""
    return [
        step_result(
            topic=topic,
            source=SOURCE,
            command_id=delivery.command_id,
            answering=delivery,
            outcome=outcome.result,
            reason=outcome.reason,
            retryable=outcome.retryable,
            not_before=outcome.not_before,
            data=outcome.data,
        )
        for delivery, outcome in done
    ]
