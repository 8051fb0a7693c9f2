"""The hand-over's transaction, with the messages' end of data written right behind its COMMIT.

Whatever order two writes to two servers take, a `kill -9` can fall between them. Written after the COMMIT's
answer (as before), the gap was that answer's way back plus the wait for this process's turn on a busy CPU:
tens of milliseconds, in which a kill lost the email (recorded as handed over, never ended; 5 in a 20-minute
chaos run). Written right after the COMMIT has gone to the database, in the same step, the gap is the time
between two `send` calls. The database commits a COMMIT it has received even if the client dies meanwhile.

The price is a COMMIT that does not become durable (the database crashing before its WAL is flushed) while the
end of data went out: the message is delivered without a hand-over. The sender is alive then and learns the
server's answer, which it records once the database is back; the sweeps wait a while after the database's
start (`repository.REQUEUE`), so that none queues the delivery again before the sender could record it.

This takes the asyncpg connection under SQLAlchemy's pool: SQLAlchemy awaits a COMMIT's answer before it
returns, and here the answer must be waited for after the end of data is written.
"""

from collections.abc import Callable, Coroutine, Generator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from notifier.domain.delivery import Delivery
from shared.logging import get_logger

log = get_logger(__name__)

HAND_OVER = """
    UPDATE deliveries AS d SET handed_over_at = $3
    FROM unnest($1::bigint[], $2::int[]) AS h(id, claims)
    WHERE d.id = h.id AND d.claims = h.claims AND d.status = 'sending'
    RETURNING d.id
"""
COMMIT = "COMMIT"


class CommitUnknown(Exception):
    """The COMMIT was sent and its answer never came: the hand-overs may be recorded or not."""


class HandOverCommit:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def record(self, batch: Sequence[Delivery], *, now: datetime, then: Callable[[set[int]], None]) -> None:
        """Record the hand-over of `batch` for the claims it holds and call `then(held)` with the ids whose
        claim still holds, as soon as the COMMIT is on its way (or, if it could not be seen to be, once it is
        answered). Raises the database's error if nothing was committed and `then` was not called, and
        CommitUnknown if `then` was not called and the COMMIT's outcome is unknown."""
        ids, claims = [d.id for d in batch], [d.claims for d in batch]
        async with self._engine.connect() as connection:
            pg = (await connection.get_raw_connection()).driver_connection
            try:
                await pg.execute("BEGIN")
                held = {row[0] for row in await pg.fetch(HAND_OVER, ids, claims, now)}
                sent_before = _queries_sent(pg)
                commit = Begun(pg.execute(COMMIT))
            except BaseException:
                await connection.invalidate()  # in the middle of a transaction: not for the next user
                raise
            if _on_the_wire(pg, sent_before):
                then(held)
                try:
                    await commit
                except Exception as exc:
                    # The ends are out; each sender records what the mail server answered once it can.
                    await connection.invalidate()
                    log.warning("hand_over_commit_unanswered", deliveries=len(batch), error=type(exc).__name__)
                return
            try:
                await commit
            except Exception as exc:
                await connection.invalidate()
                raise CommitUnknown(str(exc)) from exc
            then(held)


def _queries_sent(pg: Any) -> int | None:
    return getattr(getattr(pg, "_protocol", None), "queries_count", None)


def _on_the_wire(pg: Any, sent_before: int | None) -> bool:
    """Whether asyncpg has handed the COMMIT to the kernel: it counts a query once written, and its transport
    holds back nothing. Unknown (another asyncpg, a full socket buffer) means no: the caller waits for the
    answer first, the order that cannot deliver without a record."""
    transport = getattr(pg, "_transport", None)
    if sent_before is None or transport is None:
        return False
    return _queries_sent(pg) == sent_before + 1 and transport.get_write_buffer_size() == 0


class Begun:
    """A coroutine run now up to its first pause (for asyncpg's `execute`: the query is written), whose rest
    is awaited later. A task would only start on the event loop's next turn."""

    def __init__(self, coroutine: Coroutine[Any, Any, Any]) -> None:
        self._coroutine, self._result, self._error = coroutine, None, None
        self._pending: Any = None
        self._paused = False  # what it yields may be None (a bare `sleep(0)`), so that says nothing
        try:
            self._pending = coroutine.send(None)
            self._paused = True
        except StopIteration as done:
            self._result = done.value
        except Exception as exc:
            self._error = exc

    def __await__(self) -> Generator[Any, Any, Any]:
        if not self._paused:
            if self._error is not None:
                raise self._error
            return self._result
        pending = self._pending
        while True:
            try:
                answer = yield pending
            except BaseException as exc:  # cancellation travels into the coroutine, as with a plain await
                try:
                    pending = self._coroutine.throw(exc)
                except StopIteration as done:
                    return done.value
            else:
                try:
                    pending = self._coroutine.send(answer)
                except StopIteration as done:
                    return done.value
