"""How the services take the orchestrator's commands a batch at a time while keeping their order: runs of one
batchable kind (send a message, create a survey) are handled together; any other command (an erasure) is
handled alone, after the run before it, so it also applies to what that run created."""

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.events.commands import service_messages
from shared.events.envelope import InvalidMessage
from shared.events.registry import EventData
from shared.messaging.consumer import BatchHandler, IncomingMessage

RunHandler = Callable[[list[tuple[str, Any]], AsyncSession], Awaitable[None]]
SingleHandler = Callable[[Any, AsyncSession], Awaitable[None]]


def commands_in_order(
    service: str, *, batched: type[EventData], run: RunHandler, single: dict[type[EventData], SingleHandler]
) -> BatchHandler:
    """A consumer batch handler: `run(commands, session)` gets each run of `(command id, command)` of type
    `batched`; `single[T](command, session)` each other command. A command of no listed type raises
    InvalidMessage (the consumer then dead-letters just that message)."""

    async def handle(messages: list[IncomingMessage], session: AsyncSession) -> None:
        pending: list[tuple[str, Any]] = []
        for message in messages:
            command = service_messages.read(message.event)
            if isinstance(command, batched):
                pending.append((message.event.id, command))
            elif type(command) in single:
                await run(pending, session)
                pending = []
                await single[type(command)](command, session)
            else:
                raise InvalidMessage("unknown_type", f"the {service} does not handle {message.event.type}")
        await run(pending, session)

    return handle
