"""Re-driving dead letters after a fix puts them back on their topic once, without the error headers."""

import pytest

from orchestrator.tools.redrive import redrive
from orchestrator.tools.sample_events import cancellation
from shared.testing import read_topic

from .conftest import eventually, journey_rows

pytestmark = pytest.mark.integration


async def test_redrive_moves_dead_letters_back_once(orchestrator, kafka_bootstrap):
    topic = orchestrator.settings.topic_subscription_cancelled
    # As if an earlier release had wrongly rejected a good event:
    event = cancellation("sub_redriven")
    await orchestrator.producer.send_and_wait(
        f"{topic}.dlq",
        event.to_json_bytes(),
        key=b"sub_redriven",
        headers=[("error.reason", b"invalid_data"), ("error.detail", b"a bug"), ("trace", b"t1")],
    )
    assert await redrive(kafka_bootstrap, topic, idle_ms=500) == 1
    (journey,) = await eventually(lambda: journey_rows(orchestrator, "sub_redriven"))
    assert journey.event_id == event.id
    records = await read_topic(kafka_bootstrap, topic, until=lambda rs: any(r.key == b"sub_redriven" for r in rs))
    headers = dict(next(r for r in records if r.key == b"sub_redriven").headers)
    assert headers == {"trace": b"t1"}
    assert await redrive(kafka_bootstrap, topic, idle_ms=500) == 0, "already re-driven"
