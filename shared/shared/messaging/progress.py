"""Is a consumer advancing? Lag, the age of the oldest record it has not finished, and failures in a row, per
partition: exported as metrics and judged for /readyz.

A partition is stalled when it has lag and its committed offset has not moved for `stall_seconds`. A healthy
consumer commits every batch, so only a consumer that keeps failing (the database away, or a bug that every
retry hits) stalls.
"""

import time
from dataclasses import dataclass

from aiokafka import ConsumerRecord, TopicPartition
from prometheus_client import Gauge

LAG = Gauge("consumer_lag", "Records on the partition not yet committed by the group", ["group", "topic", "partition"])
OLDEST_AGE = Gauge(
    "consumer_oldest_unprocessed_age_seconds",
    "Age of the oldest fetched record not yet committed (0 when none waits)",
    ["group", "topic", "partition"],
)
STALLED = Gauge(
    "consumer_stalled_seconds",
    "How long the partition has had lag without its committed offset moving (0 when advancing or caught up)",
    ["group", "topic", "partition"],
)
FAILURES_IN_ROW = Gauge("consumer_failures_in_row", "Batches in a row that failed and were retried", ["group"])


@dataclass
class _Partition:
    next_offset: int | None = None  # what the group has committed (or the first offset seen, before a commit)
    advanced_at: float = 0.0  # monotonic time the committed offset last moved, or the partition was caught up
    oldest_pending_ms: int | None = None  # timestamp of the oldest fetched, uncommitted record


class Progress:
    def __init__(self, group: str, *, stall_seconds: float, clock=time.monotonic) -> None:
        self._group, self._stall, self._clock = group, stall_seconds, clock
        self._partitions: dict[TopicPartition, _Partition] = {}
        self.failures_in_row = 0
        self.last_error: str | None = None

    def fetched(self, records: list[ConsumerRecord]) -> None:
        for record in records:
            state = self._state(TopicPartition(record.topic, record.partition))
            if state.next_offset is None:
                state.next_offset = record.offset
            if state.oldest_pending_ms is None or record.timestamp < state.oldest_pending_ms:
                state.oldest_pending_ms = record.timestamp

    def committed(self, offsets: dict[TopicPartition, int]) -> None:
        now = self._clock()
        for tp, offset in offsets.items():
            state = self._state(tp)
            if state.next_offset is None or offset > state.next_offset:
                state.next_offset, state.advanced_at = offset, now
            state.oldest_pending_ms = None
        self.failures_in_row, self.last_error = 0, None

    def failed(self, error: str) -> None:
        self.failures_in_row += 1
        self.last_error = error

    def observe(self, highwaters: dict[TopicPartition, int | None]) -> list[str]:
        """Update the metrics from the partitions' high-water marks; return a line per stalled partition."""
        now, wall_ms = self._clock(), time.time() * 1000
        stalled = []
        for tp, highwater in highwaters.items():
            state = self._state(tp)
            lag = (
                max(highwater - state.next_offset, 0) if highwater is not None and state.next_offset is not None else 0
            )
            if lag == 0:
                state.advanced_at = now
            waited = now - state.advanced_at
            labels = (self._group, tp.topic, str(tp.partition))
            LAG.labels(*labels).set(lag)
            STALLED.labels(*labels).set(waited if lag else 0)
            pending = state.oldest_pending_ms
            OLDEST_AGE.labels(*labels).set(max(wall_ms - pending, 0) / 1000 if pending is not None else 0)
            if lag and waited >= self._stall:
                stalled.append(f"{tp.topic}[{tp.partition}] not advanced for {waited:.0f} s with lag {lag}")
        FAILURES_IN_ROW.labels(self._group).set(self.failures_in_row)
        return stalled

    def _state(self, tp: TopicPartition) -> _Partition:
        if tp not in self._partitions:
            self._partitions[tp] = _Partition(advanced_at=self._clock())
        return self._partitions[tp]
