"""Wake a loop when PostgreSQL says there is work (LISTEN/NOTIFY), with a timeout as the fallback poll.

The listening connection is its own (not from the pool) and is reopened after it drops; its dropping wakes the
loop at once (it looks for work, then listens again), so the timeout is only a last resort and can be long.
"""

import asyncio
import contextlib

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine


class Wakeup:
    def __init__(self, engine: AsyncEngine, channel: str) -> None:
        self._url, self._channel = engine.url, channel
        self._event = asyncio.Event()
        self._connection: asyncpg.Connection | None = None

    async def listen(self) -> None:
        """(Re)open the listening connection if it is not open; raises what connecting raised."""
        if self._connection is not None and not self._connection.is_closed():
            return
        url = self._url
        self._connection = await asyncpg.connect(
            host=url.host, port=url.port, user=url.username, password=url.password, database=url.database
        )
        await self._connection.add_listener(self._channel, lambda *_: self._event.set())
        # A dropped connection may have lost a notification: wake the loop, which looks for work and listens again.
        self._connection.add_termination_listener(lambda *_: self._event.set())

    def clear(self) -> None:
        """Forget earlier notifications: call before looking for work, so one arriving meanwhile counts."""
        self._event.clear()

    def set(self) -> None:
        self._event.set()

    async def wait(self, seconds: float) -> None:
        """Until notified (or `set`), at most `seconds`."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), timeout=seconds)

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            with contextlib.suppress(Exception):
                await connection.close()
