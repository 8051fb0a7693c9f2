"""Topic creation at start-up (the broker's auto-create is off): each topic with its partitions and its DLQ."""

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from shared.events.topics import dlq_topic


async def ensure_topics(
    bootstrap_servers: str,
    partitions: dict[str, int],
    *,
    with_dlq: bool = True,
    replication: int = 1,
    options: dict | None = None,
) -> None:
    """Create every topic in `partitions` (and its `.dlq`) that does not exist yet; existing ones are kept."""
    wanted = dict(partitions)
    if with_dlq:
        wanted |= {dlq_topic(name): 1 for name in partitions}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="topic-setup", **(options or {}))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [NewTopic(n, p, replication) for n, p in wanted.items() if n not in existing]
        if missing:
            response = await admin.create_topics(missing)
            for name, code, message in _errors(response):
                if code != TopicAlreadyExistsError.errno:
                    raise RuntimeError(f"creating topic {name} failed: error {code} {message}")
    finally:
        await admin.close()


def _errors(response) -> list[tuple[str, int, str]]:
    """(topic, error code, message) for every topic the broker did not create."""
    out = []
    for entry in response.topic_errors:
        name, code = entry[0], entry[1]
        message = entry[2] if len(entry) > 2 else ""
        if code:
            out.append((name, code, message))
    return out


async def drop_topics(bootstrap_servers: str, names: list[str], *, with_dlq: bool = True) -> None:
    """Delete these topics (and their `.dlq`) where they exist: tests and benchmarks clean up after themselves,
    so a long-lived development broker does not pile up thousands of partitions (each costs the broker CPU
    and every metadata request time)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="topic-cleanup")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        doomed = [n for n in names + ([dlq_topic(n) for n in names] if with_dlq else []) if n in existing]
        if doomed:
            await admin.delete_topics(doomed)
    finally:
        await admin.close()
