"""Durable timers across replicas, results and retries, survey answers: all over the real broker and database."""

import asyncio
import shutil
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from orchestrator.adapters.tables import journey_steps, journey_timeline
from orchestrator.bootstrap import bootstrap
from orchestrator.config import SHIPPED_TEMPLATES
from orchestrator.tools.sample_events import cancellation
from shared.events.commands import SurveyResponseSubmitted
from shared.outbox.table import outbox
from shared.testing import read_topic

from .conftest import Responder, commands_for, eventually, journey_rows, running, step_statuses

pytestmark = pytest.mark.integration

QUICK_TEMPLATE = """
name: b2c-voluntary
version: 1
steps:
  - {name: confirmation, kind: notify, message: cancellation_confirmation}
  - {name: follow_up, kind: notify, message: thank_you, at: {anchor: start, offset: PT3S}}
"""


async def test_a_timer_fires_once_across_two_orchestrators(settings_for, billing, kafka_bootstrap, tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    shutil.copy(SHIPPED_TEMPLATES / "selection.yaml", templates)
    for name in ("b2b-voluntary.v1.yaml", "involuntary.v1.yaml"):
        shutil.copy(SHIPPED_TEMPLATES / name, templates)
    (templates / "b2c-voluntary.v1.yaml").write_text(QUICK_TEMPLATE)
    settings = settings_for(templates_dir=templates, timer_interval_seconds=0.05)
    async with running(bootstrap(settings)) as first, running(bootstrap(settings)) as second:
        await billing(settings.topic_subscription_cancelled, cancellation("sub_timer"), "sub_timer")
        (journey,) = await eventually(lambda: journey_rows(first, "sub_timer"))
        await eventually(lambda: _status_is(second, journey.id, "follow_up", "in_progress"), within=20)
        await eventually(lambda: _outbox_empty(first))
        async with first.sessions() as session:
            dispatches = await session.scalar(
                sa.select(sa.func.count()).where(
                    journey_timeline.c.journey_id == journey.id,
                    journey_timeline.c.what == "step_dispatched",
                    journey_timeline.c.details["step"].astext == "follow_up",
                )
            )
            sent = await session.scalar(
                sa.select(sa.func.count())
                .select_from(outbox)
                .where(outbox.c.topic == settings.topic_notifier_commands, outbox.c.key == "sub_timer")
            )
    assert dispatches == 1
    commands = await commands_for(kafka_bootstrap, settings.topic_notifier_commands, "sub_timer", at_least=sent)
    assert [c["data"]["step"] for c in commands].count("follow_up") == 1
    assert sent == 2


async def _status_is(runtime, journey_id, step, status) -> bool:
    return (await step_statuses(runtime, journey_id)).get(step) == status


async def _outbox_empty(runtime) -> bool:
    async with runtime.sessions() as session:
        return not await session.scalar(sa.select(sa.func.count()).where(outbox.c.published_at.is_(None)))


async def test_results_complete_steps_and_failures_are_retried_then_failed(settings_for, billing, kafka_bootstrap):
    settings = settings_for(retry_base_delay=timedelta(milliseconds=100), retry_max_attempts=2)
    async with running(bootstrap(settings)) as orchestrator, Responder(kafka_bootstrap, settings) as responder:
        await billing(settings.topic_subscription_cancelled, cancellation("sub_r", segment="b2b"), "sub_r")
        (journey,) = await eventually(lambda: journey_rows(orchestrator, "sub_r"))
        commands = await commands_for(kafka_bootstrap, settings.topic_notifier_commands, "sub_r", at_least=2)
        by_step = {c["data"]["step"]: c for c in commands}
        await responder.answer(by_step["confirmation"], provider_message_id="m-1")
        await responder.answer(by_step["account_manager_handoff"], "failed", reason="CRM answered 503")
        await responder.answer(by_step["confirmation"], "failed", reason="a late duplicate")  # ignored
        await eventually(lambda: _status_is(orchestrator, journey.id, "confirmation", "succeeded"))
        retried = await commands_for(kafka_bootstrap, settings.topic_notifier_commands, "sub_r", at_least=3)
        second = next(
            c for c in retried if c["data"]["step"] == "account_manager_handoff" and c["data"]["attempt"] == 2
        )
        await responder.answer(second, "failed", reason="CRM answered 503 again")
        await eventually(lambda: _status_is(orchestrator, journey.id, "account_manager_handoff", "failed"))
        async with orchestrator.sessions() as session:
            step = (
                await session.execute(
                    sa.select(journey_steps).where(
                        journey_steps.c.journey_id == journey.id, journey_steps.c.name == "account_manager_handoff"
                    )
                )
            ).one()
        assert (step.attempts, step.last_error) == (2, "CRM answered 503 again")
        assert (await step_statuses(orchestrator, journey.id))["confirmation"] == "succeeded"
        events = await read_topic(
            kafka_bootstrap, settings.topic_journey_events, until=lambda rs: any(b"step_failed" in r.value for r in rs)
        )
        assert any(b'"step":"account_manager_handoff"' in r.value for r in events if b"step_failed" in r.value)


async def test_an_unhappy_survey_answer_adds_the_support_follow_up(settings_for, billing, kafka_bootstrap):
    settings = settings_for()
    async with running(bootstrap(settings)) as orchestrator, Responder(kafka_bootstrap, settings) as responder:
        await billing(settings.topic_subscription_cancelled, cancellation("sub_unhappy", consent=True), "sub_unhappy")
        (journey,) = await eventually(lambda: journey_rows(orchestrator, "sub_unhappy"))
        answer = SurveyResponseSubmitted(
            journey_id=str(journey.id),
            subscription_id="sub_unhappy",
            customer_id="cus_sub_unhappy",
            segment="b2c",
            reason="too_expensive",
            score=2,
            comment="meh",
            may_contact=True,
        )
        await responder.publish(settings.topic_survey_responses, "sub_unhappy", answer)
        await eventually(lambda: _status_is(orchestrator, journey.id, "support_follow_up", "in_progress"))
        commands = await commands_for(kafka_bootstrap, settings.topic_notifier_commands, "sub_unhappy", at_least=2)
        follow_up = next(c for c in commands if c["data"]["step"] == "support_follow_up")
        assert follow_up["data"]["channel"] == "webhook"
        assert follow_up["data"]["facts"]["survey"] == {"score": 2, "reason": "too_expensive", "may_contact": True}
        facts = follow_up["data"]["facts"]  # the messages can say when the personal data goes: the erase step's due
        assert datetime.fromisoformat(facts["deletion_at"]) > datetime.fromisoformat(facts["effective_at"])
        async with orchestrator.sessions() as session:
            notes = (
                await session.execute(
                    sa.select(journey_timeline.c.what, journey_timeline.c.details).where(
                        journey_timeline.c.journey_id == journey.id
                    )
                )
            ).all()
        assert ("survey_answered", {"score": 2, "reason": "too_expensive", "may_contact": True}) in notes
        assert (await step_statuses(orchestrator, journey.id))["win_back_offer"] == "scheduled"


async def test_the_timer_sleeps_until_the_next_due_step_and_is_woken_when_one_falls_due_sooner(
    settings_for, billing, kafka_bootstrap, tmp_path
):
    """A quiet day costs nothing: the loop does not poll (the longest sleep here is a minute), yet a step due in
    three seconds runs in about three seconds, woken by the NOTIFY of the journey that scheduled it, and a failed
    attempt's retry (due in 100 ms, set by the result's transaction) runs as soon."""
    templates = tmp_path / "templates"
    shutil.copytree(SHIPPED_TEMPLATES, templates)
    (templates / "b2c-voluntary.v1.yaml").write_text(QUICK_TEMPLATE)
    settings = settings_for(
        templates_dir=templates,
        timer_interval_seconds=60,
        retry_base_delay=timedelta(milliseconds=100),
        retry_max_attempts=2,
    )
    async with running(bootstrap(settings)) as orchestrator, Responder(kafka_bootstrap, settings) as responder:
        await asyncio.sleep(1)  # the loop has looked, found nothing due, and sleeps for the minute
        started = asyncio.get_running_loop().time()
        await billing(settings.topic_subscription_cancelled, cancellation("sub_sleep"), "sub_sleep")
        (journey,) = await eventually(lambda: journey_rows(orchestrator, "sub_sleep"))
        await eventually(lambda: _status_is(orchestrator, journey.id, "follow_up", "in_progress"), within=15)
        assert asyncio.get_running_loop().time() - started < 15, "woken for the step due in 3 s, not after a minute"
        commands = await commands_for(kafka_bootstrap, settings.topic_notifier_commands, "sub_sleep", at_least=2)
        follow_up = next(c for c in commands if c["data"]["step"] == "follow_up")
        answered = asyncio.get_running_loop().time()
        await responder.answer(follow_up, "failed", reason="SMTP answered 451")
        await eventually(
            lambda: _attempts_are(orchestrator, journey.id, "follow_up", 2), within=10
        )  # retried long before the loop's minute is up
        assert asyncio.get_running_loop().time() - answered < 10


async def _attempts_are(runtime, journey_id, step, attempts) -> bool:
    async with runtime.sessions() as session:
        found = await session.scalar(
            sa.select(journey_steps.c.attempts).where(
                journey_steps.c.journey_id == journey_id, journey_steps.c.name == step
            )
        )
    return found == attempts
