"""Kafka entry point: the orchestrator's commands to the notifier, typed, to the handlers."""

from sqlalchemy.ext.asyncio import AsyncSession

from notifier.service_layer.handlers import accept_send, erase
from shared.events.commands import ErasePersonalData, SendMessage, service_messages
from shared.events.envelope import InvalidMessage
from shared.messaging.consumer import Handler, IncomingMessage


def commands_handler(results_topic: str) -> Handler:
    async def handle(message: IncomingMessage, session: AsyncSession) -> None:
        command = service_messages.read(message.event)
        if isinstance(command, SendMessage):
            await accept_send(command, message.event.id, session, results_topic=results_topic)
        elif isinstance(command, ErasePersonalData):
            await erase(command, session, results_topic=results_topic)
        else:
            raise InvalidMessage("unknown_type", f"the notifier does not handle {message.event.type}")

    return handle
