"""What start-up asks of the broker: each topic with its partitions and its DLQ (the broker's auto-create is off),
and a group coordinator for each consumer group before the consumers join."""

import asyncio

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError, for_code

from shared.events.topics import dlq_topic
from shared.logging import get_logger

log = get_logger(__name__)


async def ensure_topics(
    bootstrap_servers: str,
    partitions: dict[str, int],
    *,
    with_dlq: bool = True,
    replication: int = 1,
    options: dict | None = None,
    configs: dict[str, dict[str, str]] | None = None,
) -> None:
    """Create every topic in `partitions` (and its `.dlq`) that does not exist yet, with its `configs` (e.g.
    retention.ms); existing ones are kept as they are."""
    wanted = dict(partitions)
    if with_dlq:
        wanted |= {dlq_topic(name): 1 for name in partitions}
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="topic-setup", **(options or {}))
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [
            NewTopic(n, p, replication, topic_configs=(configs or {}).get(n, {}))
            for n, p in wanted.items()
            if n not in existing
        ]
        if missing:
            response = await admin.create_topics(missing)
            for name, code, message in _errors(response):
                if code != TopicAlreadyExistsError.errno:
                    raise RuntimeError(f"creating topic {name} failed: error {code} {message}")
    finally:
        await admin.close()


async def wait_for_coordinators(
    bootstrap_servers: str, groups: list[str], *, options: dict | None = None, within: float = 60.0
) -> bool:
    """Wait until every group's coordinator is ready: a broker that has just started loads its group metadata
    first, and a consumer joining before that logs a burst of coordinator errors (GroupCoordinatorNotAvailable,
    "Marking the coordinator dead"). Says so once if it has to wait; returns False if the time ran out (the consumers then retry as
    they always do)."""
    if not groups:
        return True
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="coordinator-wait", **(options or {}))
    await admin.start()
    loop = asyncio.get_running_loop()
    deadline, told = loop.time() + within, False
    try:
        pending = list(groups)
        while pending:
            try:
                await _described(admin, pending[0])
                pending.pop(0)
                continue
            except KafkaError as exc:
                if loop.time() > deadline:
                    log.warning("kafka_group_coordinator_not_ready", group=pending[0], error=type(exc).__name__)
                    return False
                if not told:
                    log.info("waiting_for_kafka_group_coordinator", group=pending[0], error=type(exc).__name__)
                    told = True
            await asyncio.sleep(0.5)
        if told:
            log.info("kafka_group_coordinators_ready", groups=len(groups))
        return True
    finally:
        await admin.close()


async def _described(admin: AIOKafkaAdminClient, group: str) -> None:
    """The group's coordinator answers DescribeGroups without an error: it has found the coordinator and
    finished loading the group's metadata (a broker just started answers COORDINATOR_LOAD_IN_PROGRESS, and a
    consumer joining then marks the coordinator dead again and again)."""
    for response in await admin.describe_consumer_groups([group]):
        for described in response.groups:
            if described[0]:
                raise for_code(described[0])(f"describing group {group}")


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
