"""Unknown tokens per client address: after `limit` of them within `window` seconds, that address is refused
(HTTP 429) without its token being looked at, until its oldest failure is `window` old. Looking at the token
while refusing would tell a guesser which guess was right.

In memory, per process: with N replicas behind a load balancer an address gets up to N x `limit` tries per
window. The address is the TCP peer; behind a proxy that is the proxy, so all callers share one budget (run
uvicorn with `--forwarded-allow-ips` for the proxy to pass the caller's address). At most `MAX_ADDRESSES` are
tracked, the longest quiet dropped first, so that many addresses cannot grow memory without bound.
"""

import time
from collections import OrderedDict, deque
from collections.abc import Callable

MAX_ADDRESSES = 10_000


class FailedAttempts:
    def __init__(self, *, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._limit, self._window, self._clock = limit, window, clock
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()

    def retry_after(self, address: str) -> int | None:
        """Seconds until `address` may try again, or None when it may now."""
        failures = self._recent(address)
        if failures is None or len(failures) < self._limit:
            return None
        return max(1, round(failures[0] + self._window - self._clock()))

    def failed(self, address: str) -> None:
        failures = self._recent(address) or deque()
        failures.append(self._clock())
        while len(failures) > self._limit:
            failures.popleft()
        self._failures[address] = failures
        self._failures.move_to_end(address)
        while len(self._failures) > MAX_ADDRESSES:
            self._failures.popitem(last=False)

    def _recent(self, address: str) -> deque[float] | None:
        failures = self._failures.get(address)
        if failures is None:
            return None
        oldest_kept = self._clock() - self._window
        while failures and failures[0] <= oldest_kept:
            failures.popleft()
        if not failures:
            del self._failures[address]
            return None
        return failures
