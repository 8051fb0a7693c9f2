"""The one way the services produce to Kafka: idempotent, acks=all, keyed; renewed when the broker has lost
its producer state."""

import asyncio
import contextlib

from aiokafka import AIOKafkaProducer
from aiokafka.errors import InvalidProducerEpoch, OutOfOrderSequenceNumber, ProducerFenced, UnknownProducerId
from aiokafka.protocol.metadata import MetadataRequest

from shared.errors import causes
from shared.logging import get_logger

log = get_logger(__name__)

# After these an idempotent aiokafka producer never sends again (aio-libs/aiokafka#1017: seen here after a
# long broker outage). A new producer gets a new producer id and starts its sequences afresh.
PRODUCER_STATE_LOST = (OutOfOrderSequenceNumber, UnknownProducerId, InvalidProducerEpoch, ProducerFenced)


def create_producer(bootstrap_servers: str, *, client_id: str, options: dict | None = None) -> AIOKafkaProducer:
    """An idempotent producer (no duplicates or reordering from its own retries); start() it before use.
    `options`: the security options (`ServiceSettings.kafka_options()`)."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=0,
        request_timeout_ms=30_000,
        **(options or {}),
    )


class RenewableProducer:
    """A service's producer (outbox relay, dead letters): the same calls as AIOKafkaProducer, and `renew_after`,
    which the loops call with the error that made them back off. Rows not yet marked published are sent again
    by the new producer: at least once, as always, and the consumers' inboxes drop the repeats."""

    def __init__(self, bootstrap_servers: str, *, client_id: str, options: dict | None = None) -> None:
        self._make = lambda: create_producer(bootstrap_servers, client_id=client_id, options=options)
        self._current = self._make()
        self._renewing = asyncio.Lock()
        self.renewals = 0

    @property
    def client(self):
        return self._current.client

    async def start(self) -> None:
        await self._current.start()

    async def ping(self) -> None:
        """Ask one broker for its metadata without any topic: proof that Kafka answers, and as cheap on a
        shared cluster with thousands of topics as on ours (asking for every topic's metadata took longer
        than the readiness probe's deadline on a broker with 16,000 partitions)."""
        client = self._current.client
        brokers = client.cluster.brokers()
        if not brokers:
            raise ConnectionError("no Kafka broker known yet")
        await client.send(next(iter(brokers)).nodeId, MetadataRequest([]))

    async def stop(self) -> None:
        await self._current.stop()

    async def send(self, *args, **kwargs):
        return await self._current.send(*args, **kwargs)

    async def send_and_wait(self, *args, **kwargs):
        return await self._current.send_and_wait(*args, **kwargs)

    async def renew_after(self, error: BaseException) -> bool:
        """Replace the producer if `error` says the broker no longer accepts it; True when it was replaced."""
        if not any(isinstance(cause, PRODUCER_STATE_LOST) for cause in causes(error)):
            return False
        async with self._renewing:
            stale, self._current = self._current, self._make()
            await self._current.start()
            with contextlib.suppress(Exception):
                await stale.stop()
            self.renewals += 1
        log.warning("kafka_producer_renewed", error=type(error).__name__)
        return True
