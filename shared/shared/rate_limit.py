"""Requests per key (a source address for the billing bridge's webhooks, a page's token for the customer's page):
a token bucket each (`rate` a second, up to `burst` at once), in memory, per process; at most MAX_ADDRESSES
tracked, the longest quiet dropped first. A provider's retries come from a few addresses at a modest pace; a
flood from one address, or on one customer's page, is answered 429 before its body is read."""

import math
import time
from collections import OrderedDict
from collections.abc import Callable

MAX_ADDRESSES = 10_000


class RateLimit:
    def __init__(self, *, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate, self._burst, self._clock = rate, burst, clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # address -> (tokens, at)

    def wait(self, address: str) -> int | None:
        """None when `address` may go on now (a token is taken), else the seconds until it may."""
        now = self._clock()
        tokens, at = self._buckets.get(address, (self._burst, now))
        tokens = min(self._burst, tokens + (now - at) * self._rate)
        if tokens < 1:
            self._buckets[address] = (tokens, now)
            return max(1, math.ceil((1 - tokens) / self._rate))
        self._buckets[address] = (tokens - 1, now)
        self._buckets.move_to_end(address)
        while len(self._buckets) > MAX_ADDRESSES:
            self._buckets.popitem(last=False)
        return None
