"""The one way the services produce to Kafka: idempotent, acks=all, keyed."""

from aiokafka import AIOKafkaProducer


def create_producer(bootstrap_servers: str, *, client_id: str, options: dict | None = None) -> AIOKafkaProducer:
    """An idempotent producer (no duplicates or reordering from its own retries); start() it before use.
    `options`: the security options (`ServiceSettings.kafka_options()`)."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        request_timeout_ms=30_000,
        **(options or {}),
    )
