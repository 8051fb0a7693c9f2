"""A token bucket per channel: sends per second per replica, smoothing bursts instead of refusing them."""

import asyncio
import time


class RateLimiter:
    def __init__(self, per_second: float, burst: float | None = None) -> None:
        self._rate = per_second
        self._capacity = burst or max(per_second, 1.0)
        self._tokens = self._capacity
        self._updated = time.monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                self._tokens = min(self._capacity, self._tokens + (now - self._updated) * self._rate)
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self._rate)
