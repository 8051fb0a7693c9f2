"""The hand-over record: committed just before a message's end of data goes to the mail server (or before a
webhook's request), so that after a crash the notifier knows which deliveries may have reached the customer.

Until the server reads the line that ends the data, it discards the message if the connection drops
(RFC 5321, 4.1.1.4), so a delivery without this record is safe to send again. The sends of one round reach
this point side by side: the marks asked for while one transaction is being written go together in the next
(group commit), one statement and one commit for all of them rather than one per email.
"""

import asyncio
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notifier.adapters.repository import DeliveryRepository
from notifier.domain.delivery import Delivery


class LeaseLost(Exception):
    """This process held the delivery too long: it was queued again (maybe sent by another replica), so this
    process must not hand it over."""


class HandOvers:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, clock: Callable[[], datetime]) -> None:
        self._sessions, self._clock = sessions, clock
        self._waiting: list[tuple[Delivery, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def mark(self, delivery: Delivery) -> None:
        """Return once the hand-over of `delivery` is committed. Raises LeaseLost, or the database's error."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((delivery, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all())
        await done

    async def _write_all(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                async with self._sessions() as session, session.begin():
                    held = await DeliveryRepository(session).hand_over([d for d, _ in batch], now=self._clock())
            except Exception as exc:
                for _, done in batch:
                    if not done.done():
                        done.set_exception(exc)
                continue
            for delivery, done in batch:
                if not done.done():
                    done.set_result(None) if delivery.id in held else done.set_exception(LeaseLost())
