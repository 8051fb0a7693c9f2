"""From subscription.cancelled on Kafka to a running journey: templates, commands, duplicates, reactivations, DLQ."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from orchestrator.tools.sample_events import cancellation, reactivation
from shared.testing import read_topic

from .conftest import commands_for, eventually, journey_rows, recipient_of, step_statuses

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("segment", "initiated_by", "template", "first_commands"),
    [
        ("b2c", "customer", "b2c-voluntary", {"confirmation"}),
        ("b2b", "customer", "b2b-voluntary", {"confirmation", "account_manager_handoff"}),
        ("b2c", "payment_failure", "involuntary", {"confirmation"}),
    ],
)
async def test_a_cancellation_starts_the_right_journey_and_sends_its_first_commands(
    orchestrator, billing, kafka_bootstrap, segment, initiated_by, template, first_commands
):
    settings = orchestrator.settings
    sub = f"sub_{segment}_{initiated_by}"
    await billing(
        settings.topic_subscription_cancelled, cancellation(sub, segment=segment, initiated_by=initiated_by), sub
    )
    (journey,) = await eventually(lambda: journey_rows(orchestrator, sub))
    assert (journey.template, journey.template_version, journey.status) == (template, 1, "active")
    commands = await commands_for(kafka_bootstrap, settings.topic_notifier_commands, sub, at_least=len(first_commands))
    assert {c["data"]["step"] for c in commands} == first_commands
    confirmation = next(c for c in commands if c["data"]["step"] == "confirmation")
    assert confirmation["type"] == "offboarding.command.send_message"
    assert "recipient" not in confirmation["data"] and f"{sub}@example.com" not in json.dumps(confirmation)
    assert (await recipient_of(orchestrator, confirmation))["email"] == f"{sub}@example.com"
    assert confirmation["data"]["segment"] == segment and confirmation["data"]["attempt"] == 1
    steps = await step_statuses(orchestrator, journey.id)
    assert steps["confirmation"] == "in_progress"
    if template != "involuntary":
        assert steps["exit_survey"] == "scheduled" and steps["win_back_offer"] == "skipped"
    else:
        assert "exit_survey" not in steps and steps["payment_update"] == "scheduled"
    started = await read_topic(
        kafka_bootstrap, settings.topic_journey_events, until=lambda rs: any(r.key == sub.encode() for r in rs)
    )
    event = json.loads(next(r.value for r in started if r.key == sub.encode()))
    assert event["type"] == "offboarding.journey.started" and event["data"]["template"] == template
    assert "example.com" not in json.dumps(event), "journey events carry no personal data"


async def test_the_same_event_twice_starts_one_journey(orchestrator, billing):
    settings = orchestrator.settings
    event = cancellation("sub_twice")
    await billing(settings.topic_subscription_cancelled, event, "sub_twice")
    await billing(settings.topic_subscription_cancelled, event, "sub_twice")
    # A different event for the same subscription while its journey is open does not start a second one.
    await billing(settings.topic_subscription_cancelled, cancellation("sub_twice"), "sub_twice")
    marker = cancellation("sub_marker")
    await billing(settings.topic_subscription_cancelled, marker, "sub_marker")
    await eventually(lambda: journey_rows(orchestrator, "sub_marker"))
    await eventually(lambda: _consumed_all(orchestrator))
    assert len(await journey_rows(orchestrator, "sub_twice")) == 1


async def _consumed_all(runtime) -> bool:
    from prometheus_client import REGISTRY

    topic = runtime.settings.topic_subscription_cancelled
    done = sum(
        REGISTRY.get_sample_value("messages_consumed_total", {"topic": topic, "outcome": o}) or 0
        for o in ("processed", "duplicate")
    )
    return done >= 4


async def test_reactivation_after_the_cancellation_stops_the_journey(orchestrator, billing, kafka_bootstrap):
    settings = orchestrator.settings
    await billing(settings.topic_subscription_cancelled, cancellation("sub_back"), "sub_back")
    await eventually(lambda: journey_rows(orchestrator, "sub_back"))
    await billing(
        settings.topic_subscription_reactivated,
        reactivation("sub_back", reactivated_at=datetime.now(UTC) + timedelta(minutes=1)),
        "sub_back",
    )
    stopped = await eventually(lambda: _with_status(orchestrator, "sub_back", "cancelled"))
    steps = await step_statuses(orchestrator, stopped.id)
    assert steps["thanks"] == "cancelled" and steps["welcome_back"] == "in_progress"
    commands = await commands_for(kafka_bootstrap, settings.topic_notifier_commands, "sub_back", at_least=2)
    assert [c["data"]["step"] for c in commands].count("welcome_back") == 1


async def test_reactivation_arriving_before_its_cancellation_still_stops_the_journey(
    orchestrator, billing, kafka_bootstrap
):
    settings = orchestrator.settings
    cancelled_at = datetime.now(UTC) - timedelta(hours=1)
    await billing(settings.topic_subscription_reactivated, reactivation("sub_early"), "sub_early")
    await eventually(lambda: _consumed(orchestrator, settings.topic_subscription_reactivated, 1))
    await billing(
        settings.topic_subscription_cancelled, cancellation("sub_early", cancelled_at=cancelled_at), "sub_early"
    )
    journey = await eventually(lambda: _with_status(orchestrator, "sub_early", "cancelled"))
    assert (await step_statuses(orchestrator, journey.id))["welcome_back"] == "in_progress"
    # Had a confirmation been sent, it would precede the welcome-back on this key's partition.
    commands = await commands_for(kafka_bootstrap, settings.topic_notifier_commands, "sub_early", at_least=1)
    assert [c["data"]["step"] for c in commands] == ["welcome_back"], "no confirmation to a customer who is back"


async def test_a_malformed_event_goes_to_the_dlq_and_the_next_is_processed(orchestrator, billing, kafka_bootstrap):
    settings = orchestrator.settings
    topic = settings.topic_subscription_cancelled
    await billing(topic, b'{"specversion": "1.0", "id": "broken', "sub_bad")
    invalid = cancellation("sub_invalid")
    invalid = invalid.model_copy(update={"data": {**invalid.data, "customer": {"email": "not-an-email"}}})
    await billing(topic, invalid, "sub_invalid")
    await billing(topic, cancellation("sub_after"), "sub_after")
    await eventually(lambda: journey_rows(orchestrator, "sub_after"))
    dead = await read_topic(kafka_bootstrap, f"{topic}.dlq", until=lambda rs: len(rs) >= 2)
    reasons = {r.key: dict(r.headers)["error.reason"] for r in dead}
    assert reasons == {b"sub_bad": b"not_json", b"sub_invalid": b"invalid_data"}
    detail = next(dict(r.headers)["error.detail"] for r in dead if r.key == b"sub_invalid")
    assert b"customer.email" in detail
    assert await journey_rows(orchestrator, "sub_invalid") == []


async def _with_status(runtime, subscription_id, status):
    rows = await journey_rows(runtime, subscription_id)
    return next((r for r in rows if r.status == status), None)


async def _consumed(runtime, topic, n) -> bool:
    from prometheus_client import REGISTRY

    return (REGISTRY.get_sample_value("messages_consumed_total", {"topic": topic, "outcome": "processed"}) or 0) >= n
