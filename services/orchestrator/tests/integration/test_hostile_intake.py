"""The attack corpus through the real broker and database: each event gets its documented outcome (a journey
with cleaned data, or the DLQ with a reason), nothing holds the partition, and a good event published after
all of them still gets its journey and confirmation command."""

import json

import pytest

from orchestrator.tools.hostile_events import conflicting_pair, hostile_cases
from orchestrator.tools.sample_events import cancellation
from shared.testing import read_topic

from .conftest import commands_for, eventually, journey_rows

pytestmark = pytest.mark.integration


async def test_every_hostile_event_gets_its_outcome_and_a_good_event_after_them_its_journey(
    orchestrator, billing, kafka_bootstrap, unique_name
):
    settings = orchestrator.settings
    topic = settings.topic_subscription_cancelled
    cases = hostile_cases(unique_name)
    for case in cases:
        await billing(topic, case.value, case.subscription_id)
    first, second = conflicting_pair(unique_name)
    await billing(topic, first, "conflict")
    await billing(topic, second, "conflict")
    await billing(topic, cancellation("sub_good_after"), "sub_good_after")

    await eventually(lambda: journey_rows(orchestrator, "sub_good_after"), within=30)
    await commands_for(kafka_bootstrap, settings.topic_notifier_commands, "sub_good_after", at_least=1)

    expected_dead = {c.subscription_id: c.outcome.removeprefix("dlq:") for c in cases if c.outcome.startswith("dlq")}
    dead = await read_topic(kafka_bootstrap, f"{topic}.dlq", until=lambda rs: len(rs) >= len(expected_dead) + 1)
    reasons = {r.key.decode(): dict(r.headers)["error.reason"].decode() for r in dead}
    assert reasons == expected_dead | {"conflict": "conflicting_duplicate"}
    for record in dead:
        assert record.value in [c.value for c in cases] + [second], "dead letters are kept unchanged"

    for case in (c for c in cases if c.outcome == "journey"):
        (journey,) = await eventually(lambda case=case: journey_rows(orchestrator, case.subscription_id))
        assert journey.status == "active", case.name
        (command,) = [
            c
            for c in await commands_for(
                kafka_bootstrap, settings.topic_notifier_commands, case.subscription_id, at_least=1
            )
            if c["data"]["step"] == "confirmation"
        ]
        recipient = command["data"]["recipient"]
        assert recipient["email"] == case.email, case.name
        for key, value in case.recipient.items():
            assert recipient[key] == value, (case.name, key, recipient[key])
    assert len(await journey_rows(orchestrator, f"sub_{unique_name}_conflict_a")) == 1
    assert await journey_rows(orchestrator, f"sub_{unique_name}_conflict_b") == []
    assert "\\u0000" not in json.dumps(
        [dict(r._mapping) for r in await journey_rows(orchestrator, "sub_good_after")], default=str
    )
