"""Kafka entry points: typed messages from the billing topics and the services' results, to the handlers."""

from collections.abc import Callable

from sqlalchemy.ext.asyncio import AsyncSession

from orchestrator.service_layer import handlers
from orchestrator.service_layer.unit_of_work import UnitOfWork
from shared.events.commands import StepResult, SurveyResponseSubmitted, service_messages
from shared.events.envelope import InvalidMessage
from shared.events.subscription import SubscriptionCancelled, billing_events
from shared.messaging.consumer import Handler, IncomingMessage

UowFactory = Callable[[AsyncSession], UnitOfWork]


def billing_handler(uow_factory: UowFactory) -> Handler:
    """subscription.cancelled and subscription.reactivated; anything else is dead-lettered."""

    async def handle(message: IncomingMessage, session: AsyncSession) -> None:
        data = billing_events.read(message.event)
        if isinstance(data, SubscriptionCancelled):
            await handlers.start_journey(data, message.event, uow_factory(session))
        else:
            await handlers.record_reactivation(data, message.event, uow_factory(session))

    return handle


def results_handler(uow_factory: UowFactory) -> Handler:
    """Step results from the notifier and the survey service, and exit-survey answers."""

    async def handle(message: IncomingMessage, session: AsyncSession) -> None:
        data = service_messages.read(message.event)
        if isinstance(data, StepResult):
            await handlers.record_step_result(data, uow_factory(session))
        elif isinstance(data, SurveyResponseSubmitted):
            await handlers.record_survey_answer(data, uow_factory(session))
        else:
            raise InvalidMessage("unknown_type", f"{message.event.type} is not a result or a survey answer")

    return handle
