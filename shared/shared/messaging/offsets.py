"""A batch consumer's Kafka offsets between the database commit and Kafka's: held after each batch, committed
at most every `commit_every` seconds (and when the consumer falls idle or stops), and moved back to a batch's
first record when the batch is given up. Under a trickle every batch is one message, and a commit per message
was a round trip for the consumer and a write for the broker; a crash before the commit redelivers what came
after the last one, and the inbox turns that into a no-op."""

import asyncio

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition


def next_offsets(records: list[ConsumerRecord]) -> dict[TopicPartition, int]:
    """The offset to commit per partition once `records` are applied: one past the last of each."""
    offsets: dict[TopicPartition, int] = {}
    for r in records:
        tp = TopicPartition(r.topic, r.partition)
        offsets[tp] = max(offsets.get(tp, 0), r.offset + 1)
    return offsets


class HeldOffsets:
    def __init__(self, consumer: AIOKafkaConsumer, *, commit_every: float) -> None:
        self._consumer = consumer
        self._commit_every = commit_every
        self._uncommitted: dict[TopicPartition, int] = {}  # applied, not yet committed to Kafka
        self._next_commit = 0.0

    def due(self) -> bool:
        """Whether `commit_every` has passed since the last commit."""
        return asyncio.get_running_loop().time() >= self._next_commit

    def hold(self, offsets: dict[TopicPartition, int]) -> None:
        """Keep `offsets` for the next commit (never moving a partition backwards)."""
        for tp, offset in offsets.items():
            self._uncommitted[tp] = max(self._uncommitted.get(tp, 0), offset)

    async def commit(self) -> None:
        self._next_commit = asyncio.get_running_loop().time() + self._commit_every
        # Partitions taken away by a rebalance are left to their new owner (which redoes nothing: inbox).
        assigned = self._consumer.assignment()
        offsets = {tp: offset for tp, offset in self._uncommitted.items() if tp in assigned}
        self._uncommitted.clear()
        if offsets:
            try:
                await self._consumer.commit(offsets)
            except Exception:
                self.hold(offsets)  # tried again with the next commit
                raise

    def rewind(self, records: list[ConsumerRecord]) -> None:
        """Fetch `records` again: each partition goes back to its first record among them."""
        lowest: dict[TopicPartition, int] = {}
        for r in records:
            tp = TopicPartition(r.topic, r.partition)
            lowest[tp] = min(lowest.get(tp, r.offset), r.offset)
        for tp, offset in lowest.items():
            if tp in self._consumer.assignment():
                self._consumer.seek(tp, offset)
