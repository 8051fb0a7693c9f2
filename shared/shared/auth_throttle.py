"""Unknown tokens slow down where they come from, with an exponential delay rather than a lock.

Two counters, each over a `window` of memory: per client address (one guesser), and per token prefix (the first
characters of what was sent, kept as a hash: a distributed attempt to complete a token whose beginning leaked).
After `free` unknown tokens, each further one makes that source wait before its next token is looked at:
1 s, 2 s, 4 s... up to `max_delay`. While a source waits it is answered 429 with Retry-After and its token is
not looked at (looking would tell a guesser which guess was right), and nothing is counted.

Why not the old hard lock (20 failures, then 10 minutes): anyone behind the same NAT as the staff could lock the
right token out with twenty bad ones. Now the most a guesser can impose is `max_delay` on its own address; it
gets about `window / max_delay` guesses per window, which against a production token (24 or more characters,
refused otherwise) is nothing.

The address is the TCP peer; `X-Forwarded-For` counts only from proxies named in `<PREFIX>FORWARDED_ALLOW_IPS`
(none by default: shared.runtime). In memory, per process: with N replicas a source gets N times the budget. At
most `MAX_SOURCES` are tracked, the longest quiet dropped first.
"""

import hashlib
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

MAX_SOURCES = 10_000
PREFIX_CHARACTERS = 6


@dataclass
class _Source:
    failures: int
    last_failure: float
    blocked_until: float


class FailedAttempts:
    def __init__(
        self,
        *,
        free: int = 5,
        window: float = 600.0,
        max_delay: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._free, self._window, self._max_delay, self._clock = free, window, max_delay, clock
        self._sources: OrderedDict[str, _Source] = OrderedDict()

    @staticmethod
    def sources(address: str, token: str) -> list[str]:
        """The counters an attempt with this token from this address belongs to."""
        prefix = hashlib.sha256(token[:PREFIX_CHARACTERS].encode("utf-8", "replace")).hexdigest()[:16]
        return [f"address:{address}", f"prefix:{prefix}"]

    def retry_after(self, sources: list[str]) -> int | None:
        """Seconds until all of `sources` may try again, or None when they may now."""
        now = self._clock()
        waits = [s.blocked_until - now for s in map(self._current, sources) if s is not None]
        longest = max(waits, default=0.0)
        return max(1, math.ceil(longest)) if longest > 0 else None

    def failed(self, sources: list[str]) -> None:
        now = self._clock()
        for key in sources:
            source = self._current(key) or _Source(0, now, now)
            source.failures += 1
            source.last_failure = now
            beyond = source.failures - self._free
            if beyond > 0:
                source.blocked_until = now + min(self._max_delay, 2.0 ** (beyond - 1))
            self._sources[key] = source
            self._sources.move_to_end(key)
        while len(self._sources) > MAX_SOURCES:
            self._sources.popitem(last=False)

    def _current(self, key: str) -> _Source | None:
        """The source's state, forgotten once its last failure is a window old."""
        source = self._sources.get(key)
        if source is not None and self._clock() - source.last_failure > self._window:
            del self._sources[key]
            return None
        return source
