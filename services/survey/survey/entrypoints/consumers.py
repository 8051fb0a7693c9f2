"""Kafka entry point: the orchestrator's commands to the survey service, typed, to the handlers a batch at a
time (create-survey commands together; an erasure after the commands before it)."""

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from shared.events.commands import CreateSurvey, ErasePersonalData, service_messages
from shared.events.envelope import InvalidMessage
from shared.messaging.consumer import BatchHandler, IncomingMessage
from survey.service_layer.handlers import Links, Topics, create_surveys, erase


def commands_handler(topics: Topics, links: Links, clock: Callable[[], datetime]) -> BatchHandler:
    async def handle(messages: list[IncomingMessage], session: AsyncSession) -> None:
        creates: list[tuple[str, CreateSurvey]] = []
        for message in messages:
            command = service_messages.read(message.event)
            if isinstance(command, CreateSurvey):
                creates.append((message.event.id, command))
            elif isinstance(command, ErasePersonalData):
                await create_surveys(creates, session, topics=topics, links=links, now=clock())
                creates = []
                await erase(command, session, topics=topics, now=clock())
            else:
                raise InvalidMessage("unknown_type", f"the survey service does not handle {message.event.type}")
        await create_surveys(creates, session, topics=topics, links=links, now=clock())

    return handle
