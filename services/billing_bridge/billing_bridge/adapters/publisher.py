"""The bridge's only output: events on `subscription.cancelled` / `subscription.reactivated`, each sent with
`acks=all` (the idempotent producer) and awaited, so a webhook is answered 2xx only once Kafka has its events.
Kafka away (or slower than `BILLING_KAFKA_TIMEOUT_SECONDS`: providers wait seconds, not minutes): Unavailable,
answered 503; the provider sends the webhook again and the same derived ids make the retry the same event."""

import asyncio

from aiokafka.errors import KafkaError

from billing_bridge.adapters.customer_api import Unavailable
from billing_bridge.domain.events import Published


class KafkaPublisher:
    def __init__(self, producer, *, topics: dict[str, str], timeout: float) -> None:
        self._producer, self._topics, self._timeout = producer, topics, timeout

    async def publish(self, events: list[Published]) -> None:
        sends = [self._producer.send_and_wait(self._topics[e.kind], e.value, key=e.key.encode("utf-8")) for e in events]
        try:
            await asyncio.wait_for(asyncio.gather(*sends), self._timeout)
        except (KafkaError, TimeoutError, ConnectionError, OSError) as error:
            raise Unavailable(f"kafka: {type(error).__name__}") from None
