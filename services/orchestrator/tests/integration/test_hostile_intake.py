"""The attack corpus through the real broker and database: each event gets its documented outcome (a journey
with cleaned data, or the DLQ with a reason), nothing holds the partition, and a good event published after
all of them still gets its journey and confirmation command."""

import json
import uuid
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orchestrator.tools.hostile_events import conflicting_pair, hostile_cases
from orchestrator.tools.sample_events import cancellation
from shared.testing import read_topic

from .conftest import commands_for, eventually, journey_rows, recipient_of

pytestmark = pytest.mark.integration


async def test_every_hostile_event_gets_its_outcome_and_a_good_event_after_them_its_journey(
    orchestrator, billing, kafka_bootstrap, unique_name, api
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
    async with api() as client:
        recorded = (await client.get("/v1/dead-letters")).json()
    counted = {(c["topic"], c["reason"]): c["count"] for c in recorded["counts"]}
    assert counted[(topic, "not_json")] == 2 and counted[(topic, "conflicting_duplicate")] == 1
    assert {i["key"] for i in recorded["items"]} >= {"conflict", f"sub_{unique_name}_year_9999_effective"}
    assert "example.com" not in json.dumps(recorded), "no personal data in the record"

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
        recipient = await recipient_of(orchestrator, command)
        assert recipient["email"] == case.email, case.name
        for key, value in case.recipient.items():
            assert recipient[key] == value, (case.name, key, recipient[key])
    assert len(await journey_rows(orchestrator, f"sub_{unique_name}_conflict_a")) == 1
    assert await journey_rows(orchestrator, f"sub_{unique_name}_conflict_b") == []
    assert "\\u0000" not in json.dumps(
        [dict(r._mapping) for r in await journey_rows(orchestrator, "sub_good_after")], default=str
    )


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=8,
)
MOMENTS = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.sampled_from([UTC, None])
).map(lambda d: d.isoformat())
TEXT = st.text(max_size=40)


def maybe(strategy):
    """The field as it should be, or anything at all."""
    return st.one_of(strategy, JSON)


CLOUD_EVENTS = st.fixed_dictionaries(
    {
        "specversion": maybe(st.just("1.0")),
        "id": maybe(TEXT),
        "source": maybe(TEXT),
        "type": maybe(st.sampled_from(["subscription.cancelled", "subscription.reactivated"])),
        "time": maybe(MOMENTS),
        "data": maybe(
            st.fixed_dictionaries(
                {
                    "subscription_id": maybe(TEXT),
                    "customer_id": maybe(TEXT),
                    "customer": maybe(
                        st.fixed_dictionaries(
                            {
                                "email": maybe(st.emails() | TEXT),
                                "name": maybe(TEXT),
                                "timezone": maybe(st.sampled_from(["UTC", "America", "Europe/Berlin"]) | TEXT),
                                "locale": maybe(TEXT),
                                "segment": maybe(st.sampled_from(["b2c", "b2b"])),
                            }
                        )
                    ),
                    "cancelled_at": maybe(MOMENTS),
                    "effective_at": maybe(MOMENTS),
                    "reactivated_at": maybe(MOMENTS),
                    "initiated_by": maybe(st.sampled_from(["customer", "merchant", "payment_failure"])),
                    "marketing_consent": JSON,
                }
            )
        ),
    }
).map(lambda event: json.dumps(event).encode()) | st.binary(max_size=200)


@settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(CLOUD_EVENTS, min_size=25, max_size=25))
async def test_any_events_at_all_leave_the_intake_running(orchestrator, billing, values):
    topic = orchestrator.settings.topic_subscription_cancelled
    for n, value in enumerate(values):
        await billing(topic, value, f"k{n}")
    good = f"sub_good_{uuid.uuid4().hex[:8]}"
    await billing(topic, cancellation(good), good)
    await eventually(lambda: journey_rows(orchestrator, good), within=30)
    assert "stalled" not in json.dumps(await orchestrator.readiness())
