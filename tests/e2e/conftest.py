"""Fixtures for the process-level end-to-end and fault tests."""

from collections.abc import AsyncIterator

import pytest

from shared.messaging.topics import drop_topics

from .system import System


@pytest.fixture
async def system(database_url, kafka_bootstrap, unique_name, smtp_sink, tmp_path) -> AsyncIterator[System]:
    running = System(unique_name, database_url, kafka_bootstrap, smtp_sink.port, smtp_sink.maildir, tmp_path)
    yield running
    await running.stop()
    await drop_topics(kafka_bootstrap, list(running.topics().values()))


@pytest.fixture
async def full_system(system: System) -> System:
    for service in ("orchestrator", "notifier", "survey"):
        await system.start(service)
    return system
