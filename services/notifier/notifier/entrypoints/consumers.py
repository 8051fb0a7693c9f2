"""Kafka entry point: the orchestrator's commands to the notifier, typed, to the handlers a batch at a time.

Send commands are queued together; an erasure first lets the sends before it in the batch in, so it forgets
them too. A command that cannot be read raises InvalidMessage, and the consumer retries the batch message by
message to dead-letter just that one."""

from sqlalchemy.ext.asyncio import AsyncSession

from notifier.service_layer.handlers import accept_sends, erase
from shared.events.commands import ErasePersonalData, SendMessage, service_messages
from shared.events.envelope import InvalidMessage
from shared.messaging.consumer import BatchHandler, IncomingMessage


def commands_handler(results_topic: str) -> BatchHandler:
    async def handle(messages: list[IncomingMessage], session: AsyncSession) -> None:
        sends: list[tuple[str, SendMessage]] = []
        for message in messages:
            command = service_messages.read(message.event)
            if isinstance(command, SendMessage):
                sends.append((message.event.id, command))
            elif isinstance(command, ErasePersonalData):
                await accept_sends(sends, session, results_topic=results_topic)
                sends = []
                await erase(command, session, results_topic=results_topic)
            else:
                raise InvalidMessage("unknown_type", f"the notifier does not handle {message.event.type}")
        await accept_sends(sends, session, results_topic=results_topic)

    return handle
