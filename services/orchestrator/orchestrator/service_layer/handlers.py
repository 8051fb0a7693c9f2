"""Handlers: incoming facts (billing events, step results, survey answers, timers, operators) applied to
journeys inside the caller's transaction; the busy ones take a whole batch at once, so a batch costs a few
statements rather than a few per message. They know nothing of Kafka or HTTP."""

import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from opentelemetry.trace import SpanKind

from orchestrator.domain.journey import Journey
from orchestrator.metrics import INPUT_CLEANED, STEP_LATENCY
from orchestrator.service_layer.unit_of_work import UnitOfWork
from shared import tracing
from shared.events.commands import (
    CustomerAskedForHelp,
    CustomerChangedMarketingConsent,
    CustomerUnsubscribed,
    DeliveryFeedbackReported,
    StepResult,
    SurveyResponseSubmitted,
)
from shared.events.envelope import CloudEvent
from shared.events.subscription import SubscriptionCancelled, SubscriptionReactivated
from shared.logging import get_logger

log = get_logger(__name__)


async def start_journeys(
    cancellations: list[tuple[SubscriptionCancelled, CloudEvent]], uow: UnitOfWork
) -> list[Journey]:
    """Start a journey for each cancellation (a batch at once), unless its subscription has one open; stop it
    before any step runs if a later reactivation arrived first."""
    subscriptions = [cancelled.subscription_id for cancelled, _ in cancellations]
    await uow.journeys.lock_subscriptions(subscriptions)
    open_now, reactivated = await uow.journeys.open_and_reactivated(subscriptions)
    started: list[tuple[Journey, str, str]] = []
    for cancelled, event in cancellations:
        _note_cleaned(cancelled, event)
        if cancelled.subscription_id in open_now:
            log.info("cancellation_ignored_journey_open", event_id=event.id)
            continue
        facts = cancelled.model_dump(mode="json") | {"segment": cancelled.customer.segment}
        # The customer's own page: its link's token (128 random bits) lives with the journey's facts, and the
        # survey service, which serves the page, knows only its hash.
        facts["page_token"] = secrets.token_urlsafe(16)
        later = reactivated.get(cancelled.subscription_id)
        journey = Journey.start(
            journey_id=uuid.uuid4(),
            template=uow.catalogue.choose(facts),
            facts=facts,
            cancelled_at=cancelled.cancelled_at,
            effective_at=cancelled.effective_at,
            now=uow.clock(),
            policy=uow.policy,
            reactivated_at=later if later and later > cancelled.cancelled_at else None,
        )
        if journey.status in ("active", "paused"):
            open_now.add(cancelled.subscription_id)
        started.append((journey, event.source, event.id))
    await uow.commit_journeys(new=started)
    for journey, _, _ in started:
        log.info("journey_started", journey_id=str(journey.id), template=journey.template, status=journey.status)
    return [journey for journey, _, _ in started]


def _note_cleaned(cancelled: SubscriptionCancelled, event: CloudEvent) -> None:
    """What the intake cleaned or defaulted, as reason codes (never the values): logged and counted."""
    if cancelled.cleaned:
        log.info("cancellation_input_cleaned", event_id=event.id, cleaned=list(cancelled.cleaned))
        for note in cancelled.cleaned:
            field, _, outcome = note.partition(":")
            INPUT_CLEANED.labels(field, outcome).inc()


async def record_reactivation(reactivated: SubscriptionReactivated, event: CloudEvent, uow: UnitOfWork) -> None:
    """Keep the reactivation (a cancellation may still arrive) and stop the journey it comes after."""
    await uow.journeys.lock_subscriptions([reactivated.subscription_id])
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


async def record_step_results(results: list[StepResult], uow: UnitOfWork) -> None:
    """Apply results to their journeys (a batch at once, each journey loaded and saved once)."""
    loaded = await uow.journeys.get_many([i for i in (_uuid(r.journey_id) for r in results) if i is not None])
    changed: dict[uuid.UUID, Journey] = {}
    now = uow.clock()
    for result in results:
        journey = loaded.get(_uuid(result.journey_id))
        if journey is None or not _apply_result(journey, result, now, uow):
            log.info(
                "step_result_ignored", journey_id=result.journey_id, step=result.step, command_id=result.command_id
            )
            continue
        changed[journey.id] = journey
    await uow.commit_journeys(changed=list(changed.values()))


def _apply_result(journey: Journey, result: StepResult, now, uow: UnitOfWork) -> bool:
    try:
        step = journey.step(result.step)
    except KeyError:
        return False
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
    if applied and dispatched_at is not None:
        STEP_LATENCY.labels(kind, result.outcome).observe(max((now - dispatched_at).total_seconds(), 0.0))
    return applied


async def record_unsubscribes(told: list[CustomerUnsubscribed], uow: UnitOfWork) -> None:
    """Keep each journey's unsubscribe once: experiment insights count them per variant; support sees them. The
    journey's marketing consent becomes no (its page says so; a later win-back offer is skipped)."""
    known = [(ident, t.unsubscribed_at) for t in told if (ident := _uuid(t.journey_id)) is not None]
    new = await uow.notices.record_unsubscribes(known)
    now = uow.clock()
    await _change_journeys(
        uow,
        [(row.journey_id, row) for row in new],
        lambda journey, row: journey.marketing_consent_changed(
            False, row.unsubscribed_at, now, source="unsubscribe_link"
        ),
    )
    log.info("unsubscribes_recorded", received=len(told), new=len(new))


async def record_marketing_consents(told: list[CustomerChangedMarketingConsent], uow: UnitOfWork) -> None:
    """The contact preferences customers chose on their pages: each journey's marketing_consent, on its timeline.
    The survey service keeps the consent records themselves."""
    now = uow.clock()
    changed = await _change_journeys(
        uow,
        [(ident, t) for t in sorted(told, key=lambda t: t.changed_at) if (ident := _uuid(t.journey_id))],
        lambda journey, t: journey.marketing_consent_changed(
            t.marketing_consent, t.changed_at, now, source="customer_page"
        ),
    )
    log.info("marketing_consents_recorded", received=len(told), changed=changed)


async def record_help_requests(told: list[CustomerAskedForHelp], uow: UnitOfWork) -> None:
    """The customers who asked for help on their page: on the journeys' timelines and support's attention list;
    each new one answered by email (and handed to a b2b account's helpdesk) through the journey's own steps."""
    rows = [
        (request, ident, t.topic, t.reach_by, t.requested_at)
        for t in told
        if (ident := _uuid(t.journey_id)) is not None and (request := _uuid(t.request_id)) is not None
    ]
    new = await uow.notices.record_help_requests(rows)
    now = uow.clock()
    answered = await _change_journeys(
        uow,
        [(_uuid(t.journey_id), t) for t in told if _uuid(t.request_id) in new],  # new: its ids are well-formed
        lambda journey, t: journey.help_requested(
            request_id=t.request_id,
            topic=t.topic,
            reach_by=t.reach_by,
            requested_at=t.requested_at,
            sealed_help=t.sealed_help.model_dump() if t.sealed_help else None,
            now=now,
            policy=uow.policy,
        ),
    )
    log.info("help_requests_recorded", received=len(told), new=len(new), answered=answered)


async def _change_journeys(uow: UnitOfWork, told: list[tuple[uuid.UUID, Any]], change) -> int:
    """Load the journeys told of (journey id, what was told, in order), let `change(journey, told)` decide on each,
    and save those it changed, in the caller's transaction. Returns how many changed."""
    loaded = await uow.journeys.get_many(list({journey_id for journey_id, _ in told}))
    changed: dict[uuid.UUID, Journey] = {}
    for journey_id, what in told:
        journey = loaded.get(journey_id)
        if journey is not None and change(journey, what):
            changed[journey.id] = journey
    if changed:
        await uow.commit_journeys(changed=list(changed.values()))
    return len(changed)


async def record_delivery_feedback(told: list[DeliveryFeedbackReported], uow: UnitOfWork) -> None:
    """What came back about the journeys' emails: on their timelines, and the unreachable on the attention list.
    The journeys' later emails are skipped by the notifier itself (address_unreachable), not from here; a b2b
    journey whose customer cannot be reached any more hands over to the account manager (once, on the first
    hard bounce or complaint recorded)."""
    rows = [
        (ident, t.step, t.kind, t.source, t.reason_code, t.occurred_at)
        for t in told
        if (ident := _uuid(t.journey_id)) is not None
    ]
    new = await uow.notices.record_delivery_feedback(rows)
    now = uow.clock()
    handed_over = await _change_journeys(
        uow,
        [(row.journey_id, row) for row in new if row.kind in ("hard", "complaint")],
        lambda journey, row: journey.email_unreachable(
            step_name=row.step,
            kind=row.kind,
            reason_code=row.reason_code,
            occurred_at=row.occurred_at,
            now=now,
            policy=uow.policy,
        ),
    )
    log.info("delivery_feedback_recorded", received=len(told), new=len(new), handed_over=handed_over)


async def record_survey_answer(answer: SurveyResponseSubmitted, uow: UnitOfWork) -> None:
    journey = await _journey(answer.journey_id, uow)
    if journey is not None and journey.survey_answered(answer.model_dump(), uow.clock(), uow.policy):
        await uow.commit_journey(journey)


async def run_due_steps(uow: UnitOfWork, *, limit: int) -> int:
    """Claim journeys with a step due (other replicas skip them) and let each run what is due."""
    now = uow.clock()
    due = await uow.journeys.claim_due(now, limit)
    claimed = await uow.journeys.get_many(list(due))
    for journey in claimed.values():
        journey.timer_due(now, uow.policy)
    # Each journey's later steps continue the trace its cancellation started.
    with tracing.handling(tracing.timers(due.values()) if tracing.is_recording() else [], kind=SpanKind.INTERNAL):
        await uow.commit_journeys(changed=list(claimed.values()))
    return len(claimed)


@dataclass(frozen=True)
class OperatorAction:
    journey_id: uuid.UUID
    action: str  # pause, resume, cancel, retry, skip, erase, revoke_page_link
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
        "revoke_page_link": lambda: journey.revoke_page_link(secrets.token_urlsafe(16), now, by=who, reason=why),
    }
    actions[command.action]()
    await uow.audit.record(
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
    ident = _uuid(journey_id)
    return await uow.journeys.get(ident) if ident else None


def _uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None
