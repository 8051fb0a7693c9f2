"""Kafka entry points: typed messages from the billing topics and the services' results, to the handlers.

Both consumers hand over whole batches: reactivations first (so a cancellation in the same batch sees them),
then all cancellations at once; step results at once, survey answers one by one. A message that cannot be
read raises InvalidMessage, and the consumer retries the batch message by message to dead-letter just it.
"""

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from orchestrator.service_layer import handlers
from orchestrator.service_layer.unit_of_work import UnitOfWork
from shared.events.commands import (
    CustomerAskedForHelp,
    CustomerChangedMarketingConsent,
    CustomerUnsubscribed,
    DeliveryFeedbackReported,
    StepResult,
    SurveyResponseSubmitted,
    service_messages,
)
from shared.events.envelope import InvalidMessage
from shared.events.subscription import SubscriptionCancelled, SubscriptionReactivated, billing_events
from shared.messaging.consumer import BatchHandler, IncomingMessage

UowFactory = Callable[[AsyncSession], UnitOfWork]


def billing_handler(uow_factory: UowFactory) -> BatchHandler:
    """subscription.cancelled and subscription.reactivated; anything else is dead-lettered."""

    async def handle(messages: list[IncomingMessage], session: AsyncSession) -> None:
        uow = uow_factory(session)
        read = [(billing_events.read(m.event), m.event) for m in messages]
        for data, event in read:
            if isinstance(data, SubscriptionReactivated):
                await handlers.record_reactivation(data, event, uow)
        cancellations = [(data, event) for data, event in read if isinstance(data, SubscriptionCancelled)]
        if cancellations:
            await handlers.start_journeys(cancellations, uow)

    return handle


def results_handler(uow_factory: UowFactory) -> BatchHandler:
    """Step results from the notifier and the survey service, exit-survey answers, unsubscribes, what came back
    about emails (bounces, complaints), and customers asking for help or changing their contact preference on their
    page."""

    async def handle(messages: list[IncomingMessage], session: AsyncSession) -> None:
        uow = uow_factory(session)
        read = [service_messages.read(m.event) for m in messages]
        for data, message in zip(read, messages, strict=True):
            if not isinstance(
                data,
                StepResult
                | SurveyResponseSubmitted
                | CustomerUnsubscribed
                | DeliveryFeedbackReported
                | CustomerAskedForHelp
                | CustomerChangedMarketingConsent,
            ):
                raise InvalidMessage("unknown_type", f"{message.event.type} is not a result or a survey answer")
        results = [data for data in read if isinstance(data, StepResult)]
        if results:
            await handlers.record_step_results(results, uow)
        unsubscribes = [data for data in read if isinstance(data, CustomerUnsubscribed)]
        if unsubscribes:
            await handlers.record_unsubscribes(unsubscribes, uow)
        feedback = [data for data in read if isinstance(data, DeliveryFeedbackReported)]
        if feedback:
            await handlers.record_delivery_feedback(feedback, uow)
        help_requests = [data for data in read if isinstance(data, CustomerAskedForHelp)]
        if help_requests:
            await handlers.record_help_requests(help_requests, uow)
        consents = [data for data in read if isinstance(data, CustomerChangedMarketingConsent)]
        if consents:
            await handlers.record_marketing_consents(consents, uow)
        for data in read:
            if isinstance(data, SurveyResponseSubmitted):
                await handlers.record_survey_answer(data, uow)

    return handle
