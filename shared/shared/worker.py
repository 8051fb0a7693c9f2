"""Base of the services' background loops (outbox relay, timers): stop on request, sleeps that end at once
when asked to stop, and a capped exponential backoff for retrying after errors."""

import asyncio
import contextlib


class Worker:
    def __init__(self) -> None:
        self._stopping = asyncio.Event()

    async def run(self) -> None:
        raise NotImplementedError

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def stop(self) -> None:
        self._stopping.set()

    async def pause(self, seconds: float) -> None:
        """Sleep `seconds`, or less if asked to stop meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)


def next_backoff(current: float, *, ceiling: float = 10.0) -> float:
    return min(current * 2, ceiling)
