"""The hand-over record: committed just before a message's end of data goes to the mail server (or before a
webhook's request), so that after a crash the notifier knows which deliveries may have reached the customer.

Until the server reads the line that ends the data, it discards the message if the connection drops
(RFC 5321, 4.1.1.4), so a delivery without this record is safe to send again. The sends of one round reach
this point side by side: the marks asked for while one transaction is being written go together in the next
(group commit), one statement and one commit for all of them rather than one per email.

Two things keep the window in which a recorded hand-over can still lose its message as short as it can be:
- each send's `finish` (writing its end-of-data line) is called in the same step as the commit returns,
  before anything else is awaited, rather than when its coroutine next runs;
- when the commit fails on the connection (PostgreSQL restarting as it answered), its outcome is unknown: the
  record is read back once the database answers again, and a hand-over that did commit is finished.
"""

import asyncio
from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notifier.adapters.repository import DeliveryRepository
from notifier.domain.delivery import Delivery
from shared.logging import get_logger

log = get_logger(__name__)
READ_BACK_SECONDS = 60.0  # how long an unknown commit is asked about; the mail server waits minutes for data

Finish = Callable[[], None]


class LeaseLost(Exception):
    """This process held the delivery too long: it was queued again (maybe sent by another replica), so this
    process must not hand it over."""


class HandOvers:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, clock: Callable[[], datetime]) -> None:
        self._sessions, self._clock = sessions, clock
        self._waiting: list[tuple[Delivery, Finish | None, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def mark(self, delivery: Delivery, finish: Finish | None = None) -> None:
        """Record the hand-over of `delivery`; once it is committed, call `finish` at once and return. Raises
        LeaseLost, or the database's error (then nothing was recorded, or it is not known and not finished)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((delivery, finish, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_all())
        await done

    async def _write_all(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            deliveries = [d for d, _, _ in batch]
            failure: Exception | None = None
            async with self._sessions() as session:
                try:
                    async with session.begin():
                        held = await DeliveryRepository(session).hand_over(deliveries, now=self._clock())
                except Exception as exc:
                    failure = exc
                else:
                    _finish(batch, held)  # before the session is closed: nothing is awaited between
            if failure is not None:
                held = await self._read_back(deliveries, failure)
                if held is None:
                    _fail(batch, failure)
                else:
                    log.warning("hand_over_commit_read_back", deliveries=len(batch), committed=len(held))
                    _finish(batch, held, not_held=failure)  # not recorded: the database's error, retried

    async def _read_back(self, deliveries: list[Delivery], failure: Exception) -> set[int] | None:
        """Which of these hand-overs did commit, asked until the database answers; None if it never does."""
        deadline = asyncio.get_running_loop().time() + READ_BACK_SECONDS
        pause = 0.2
        while True:
            try:
                async with self._sessions() as session:
                    return await DeliveryRepository(session).handed_over(deliveries)
            except Exception:
                if asyncio.get_running_loop().time() + pause > deadline:
                    log.warning("hand_over_unknown", deliveries=len(deliveries), error=type(failure).__name__)
                    return None
                await asyncio.sleep(pause)
                pause = min(pause * 2, 5.0)


def _finish(
    batch: list[tuple[Delivery, Finish | None, asyncio.Future[None]]],
    held: set[int],
    *,
    not_held: Exception | None = None,
) -> None:
    """End the data of every hand-over that holds (even one whose sender was cancelled meanwhile: it is
    recorded as handed over, so it should go), then wake the senders; the others get `not_held` (by default
    LeaseLost: the claim had moved on)."""
    for delivery, finish, done in batch:
        if delivery.id not in held:
            if not done.done():
                done.set_exception(not_held or LeaseLost())
            continue
        try:
            if finish is not None:
                finish()
        except Exception as exc:  # the connection is gone: the server discards the message
            if not done.done():
                done.set_exception(exc)
            continue
        if not done.done():
            done.set_result(None)


def _fail(batch: list[tuple[Delivery, Finish | None, asyncio.Future[None]]], failure: Exception) -> None:
    for _, _, done in batch:
        if not done.done():
            done.set_exception(failure)
