"""How failed steps are retried: exponential backoff with jitter, a bounded number of attempts."""

import random
from dataclasses import dataclass, field
from datetime import timedelta


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    base_delay: timedelta = timedelta(seconds=30)
    max_delay: timedelta = timedelta(hours=1)
    # How long a dispatched step may wait for its result before the attempt counts as failed.
    step_timeout: timedelta = timedelta(minutes=15)
    jitter: random.Random = field(default_factory=random.Random, compare=False)

    def delay(self, attempt: int) -> timedelta:
        """Backoff before attempt `attempt + 1`: base * 2^(attempt-1), capped, times a jitter in [0.5, 1.5)."""
        raw = min(self.base_delay * (2 ** max(attempt - 1, 0)), self.max_delay)
        return raw * (0.5 + self.jitter.random())
