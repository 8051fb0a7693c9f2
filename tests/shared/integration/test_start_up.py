"""Start-up waits for the broker to name a coordinator for each consumer group before the consumers join (a
broker that has just started answers NotCoordinatorForGroup or COORDINATOR_LOAD_IN_PROGRESS for a while, and a
consumer joining then logs a burst of errors)."""

import pytest

from shared.messaging.topics import wait_for_coordinators

pytestmark = pytest.mark.integration


async def test_start_up_finds_a_coordinator_for_every_group(kafka_bootstrap, unique_name):
    assert await wait_for_coordinators(kafka_bootstrap, [f"{unique_name}-a", f"{unique_name}-b"], within=20)
