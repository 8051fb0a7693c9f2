"""Kafka entry point: the orchestrator's commands to the survey service, typed, to the handlers."""

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from shared.events.commands import CreateSurvey, ErasePersonalData, service_messages
from shared.events.envelope import InvalidMessage
from shared.messaging.consumer import Handler, IncomingMessage
from survey.service_layer.handlers import Links, Topics, create_survey, erase


def commands_handler(topics: Topics, links: Links, clock: Callable[[], datetime]) -> Handler:
    async def handle(message: IncomingMessage, session: AsyncSession) -> None:
        command = service_messages.read(message.event)
        if isinstance(command, CreateSurvey):
            await create_survey(command, message.event.id, session, topics=topics, links=links, now=clock())
        elif isinstance(command, ErasePersonalData):
            await erase(command, session, topics=topics, now=clock())
        else:
            raise InvalidMessage("unknown_type", f"the survey service does not handle {message.event.type}")

    return handle
