"""The hand-over record: committed as a message's end of data goes to the mail server (or before a webhook's
request), so that after a crash the notifier knows which deliveries may have reached the customer.

Until the server reads the line that ends the data, it discards the message if the connection drops
(RFC 5321, 4.1.1.4), so a delivery without this record is safe to send again. The sends of one round reach
this point side by side: the marks asked for while one transaction is being written go together in the next
(group commit), one statement and one commit for all of them rather than one per email.

The end of data is written right behind the COMMIT, before its answer (`adapters/hand_over_commit.py` says
why and what it costs). When that order cannot be seen to hold, the answer is awaited first; a COMMIT whose
answer is lost then is read back once the database answers again, and a hand-over that did commit is finished.
"""

import asyncio
from collections.abc import Callable
from datetime import datetime
from functools import partial

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from notifier.adapters.hand_over_commit import CommitUnknown, HandOverCommit
from notifier.adapters.repository import DeliveryRepository
from notifier.domain.delivery import Delivery
from notifier.service_layer.group_commit import GroupCommit
from shared.logging import get_logger
from shared.worker import next_backoff

log = get_logger(__name__)
READ_BACK_SECONDS = 60.0  # how long an unknown commit is asked about; the mail server waits minutes for data

Finish = Callable[[], None]
Waiting = tuple[Delivery, Finish | None, asyncio.Future[None]]


class LeaseLost(Exception):
    """This process held the delivery too long: it was queued again (maybe sent by another replica), so this
    process must not hand it over."""


class HandOvers:
    def __init__(
        self, engine: AsyncEngine, sessions: async_sessionmaker[AsyncSession], *, clock: Callable[[], datetime]
    ) -> None:
        self._commit, self._sessions, self._clock = HandOverCommit(engine), sessions, clock
        self._group: GroupCommit[Waiting] = GroupCommit(self._write)

    async def mark(self, delivery: Delivery, finish: Finish | None = None) -> None:
        """Record the hand-over of `delivery`, calling `finish` as its COMMIT goes out, and return. Raises
        LeaseLost, or the database's error (then nothing was recorded, or it is not known and not finished)."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self._group.add((delivery, finish, done))
        await done

    async def _write(self, batch: list[Waiting]) -> None:
        """Settles each waiting mark through its own future (never raises: the outcome is per delivery)."""
        deliveries = [d for d, _, _ in batch]
        try:
            await self._commit.record(deliveries, now=self._clock(), then=partial(_finish, batch))
        except CommitUnknown as unknown:
            cause = unknown.__cause__ if isinstance(unknown.__cause__, Exception) else unknown
            held = await self._read_back(deliveries, cause)
            if held is None:
                _fail(batch, cause)
            else:
                log.warning("hand_over_commit_read_back", deliveries=len(batch), committed=len(held))
                _finish(batch, held, not_held=cause)  # not recorded: the database's error, retried
        except Exception as exc:
            _fail(batch, exc)  # nothing was recorded, no end of data written

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
                pause = next_backoff(pause, ceiling=5.0)


def _finish(
    batch: list[Waiting],
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


def _fail(batch: list[Waiting], failure: Exception) -> None:
    for _, _, done in batch:
        if not done.done():
            done.set_exception(failure)
