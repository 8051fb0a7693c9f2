"""Handlers: one incoming fact each (a billing event, a step result, a survey answer, a timer, an operator),
applied to one journey inside the caller's transaction. They know nothing of Kafka or HTTP."""

import uuid
from dataclasses import dataclass

from orchestrator.domain.journey import Journey
from orchestrator.metrics import STEP_LATENCY
from orchestrator.service_layer.unit_of_work import UnitOfWork
from shared.events.commands import StepResult, SurveyResponseSubmitted
from shared.events.envelope import CloudEvent
from shared.events.subscription import SubscriptionCancelled, SubscriptionReactivated
from shared.logging import get_logger

log = get_logger(__name__)


async def start_journey(cancelled: SubscriptionCancelled, event: CloudEvent, uow: UnitOfWork) -> Journey | None:
    """Start the subscription's journey, unless one is open; stop it at once if a later reactivation came first."""
    await uow.journeys.lock_subscription(cancelled.subscription_id)
    open_journey = await uow.journeys.open_for_subscription(cancelled.subscription_id)
    if open_journey is not None:
        log.info("cancellation_ignored_journey_open", journey_id=str(open_journey.id), event_id=event.id)
        return None
    facts = cancelled.model_dump(mode="json") | {"segment": cancelled.customer.segment}
    template = uow.catalogue.choose(facts)
    reactivated_at = await uow.journeys.reactivation_after(cancelled.subscription_id, cancelled.cancelled_at)
    journey = Journey.start(
        journey_id=uuid.uuid4(),
        template=template,
        facts=facts,
        cancelled_at=cancelled.cancelled_at,
        effective_at=cancelled.effective_at,
        now=uow.clock(),
        policy=uow.policy,
        reactivated_at=reactivated_at,
    )
    await uow.commit_journey(journey, new=True, event_source=event.source, event_id=event.id)
    log.info("journey_started", journey_id=str(journey.id), template=template.name, status=journey.status)
    return journey


async def record_reactivation(reactivated: SubscriptionReactivated, event: CloudEvent, uow: UnitOfWork) -> None:
    """Keep the reactivation (a cancellation may still arrive) and stop the journey it comes after."""
    await uow.journeys.lock_subscription(reactivated.subscription_id)
    await uow.journeys.record_reactivation(
        event_source=event.source,
        event_id=event.id,
        subscription_id=reactivated.subscription_id,
        reactivated_at=reactivated.reactivated_at,
    )
    journey = await uow.journeys.latest_stoppable_for_subscription(reactivated.subscription_id)
    if journey is not None and journey.reactivated(reactivated.reactivated_at, uow.clock(), uow.policy):
        await uow.commit_journey(journey)
        log.info("journey_stopped_by_reactivation", journey_id=str(journey.id))


async def record_step_result(result: StepResult, uow: UnitOfWork) -> None:
    journey = await _journey(result.journey_id, uow)
    if journey is None:
        return
    now = uow.clock()
    try:
        step = journey.step(result.step)
        dispatched_at, kind = step.dispatched_at, step.spec.kind
        applied = journey.step_result(
            step_name=result.step,
            command_id=result.command_id,
            outcome=result.outcome,
            reason=result.reason,
            retryable=result.retryable,
            data=result.data,
            not_before=result.not_before,
            now=now,
            policy=uow.policy,
        )
    except KeyError:
        applied = False
    if applied:
        if dispatched_at is not None:
            STEP_LATENCY.labels(kind, result.outcome).observe(max((now - dispatched_at).total_seconds(), 0.0))
        await uow.commit_journey(journey)
    else:
        log.info("step_result_ignored", journey_id=result.journey_id, step=result.step, command_id=result.command_id)


async def record_survey_answer(answer: SurveyResponseSubmitted, uow: UnitOfWork) -> None:
    journey = await _journey(answer.journey_id, uow)
    if journey is not None and journey.survey_answered(answer.model_dump(), uow.clock(), uow.policy):
        await uow.commit_journey(journey)


async def run_due_steps(uow: UnitOfWork, *, limit: int) -> int:
    """Claim journeys with a step due (other replicas skip them) and let each run what is due."""
    now = uow.clock()
    claimed = await uow.journeys.claim_due(now, limit)
    for journey_id in claimed:
        journey = await uow.journeys.get(journey_id)
        if journey is not None:
            journey.timer_due(now, uow.policy)
            await uow.commit_journey(journey)
    return len(claimed)


@dataclass(frozen=True)
class OperatorAction:
    journey_id: uuid.UUID
    action: str  # pause, resume, cancel, retry, skip, erase
    actor: str
    role: str
    reason: str
    step: str | None = None


async def operate(command: OperatorAction, uow: UnitOfWork) -> Journey | None:
    """An operator's action, audited with who, when and why. Raises InvalidTransition or KeyError (no step)."""
    journey = await uow.journeys.get(command.journey_id)
    if journey is None:
        return None
    now, who, why = uow.clock(), command.actor, command.reason
    actions = {
        "pause": lambda: journey.pause(now, by=who, reason=why),
        "resume": lambda: journey.resume(now, uow.policy, by=who, reason=why),
        "cancel": lambda: journey.cancel(now, by=who, reason=why),
        "retry": lambda: journey.retry_step(command.step or "", now, uow.policy, by=who, reason=why),
        "skip": lambda: journey.skip_step(command.step or "", now, uow.policy, by=who, reason=why),
        "erase": lambda: journey.erase_personal_data(now, by=who, reason=why),
    }
    actions[command.action]()
    await uow.journeys.audit(
        at=now,
        actor=who,
        role=command.role,
        action=command.action,
        journey_id=journey.id,
        step=command.step,
        reason=why,
    )
    await uow.commit_journey(journey)
    return journey


async def _journey(journey_id: str, uow: UnitOfWork) -> Journey | None:
    try:
        return await uow.journeys.get(uuid.UUID(journey_id))
    except ValueError:
        return None
