"""Attacks on the topics that move journeys: a forged step result ("the confirmation went out") or a forged
exit-survey answer (a low score brings the support follow-up) is refused unread; a signed one is taken."""

from datetime import timedelta
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from orchestrator.adapters.tables import audit_log, journey_steps
from orchestrator.tools.sample_events import cancellation
from shared.events.commands import StepResult, SurveyResponseSubmitted
from shared.testing import read_topic

from .conftest import Responder, commands_for, eventually, journey_rows, step_statuses
from .test_api import started

pytestmark = [pytest.mark.integration, pytest.mark.attack]


async def test_forged_results_and_answers_move_no_journey(orchestrator, billing, kafka_bootstrap):
    settings = orchestrator.settings
    (journey,) = await started(orchestrator, billing, "sub_attacked", consent=True)
    (command,) = await commands_for(kafka_bootstrap, settings.topic_notifier_commands, "sub_attacked", at_least=1)
    data = command["data"]
    result = StepResult(
        command_id=command["id"],
        journey_id=data["journey_id"],
        subscription_id="sub_attacked",
        step=data["step"],
        attempt=data["attempt"],
        outcome="succeeded",
    )
    answer = SurveyResponseSubmitted(
        journey_id=str(journey.id),
        subscription_id="sub_attacked",
        customer_id="cus_sub_attacked",
        segment="b2c",
        reason="poor_support",
        score=0,
        comment="forged",
        may_contact=True,
    )
    async with Responder(kafka_bootstrap, settings) as responder:
        await responder.publish(settings.topic_step_results, "sub_attacked", result, signed=False)
        await responder.publish(settings.topic_survey_responses, "sub_attacked", answer, signed=False)
        dead = await read_topic(
            kafka_bootstrap, f"{settings.topic_step_results}.dlq", until=lambda rs: len(rs) >= 1
        ) + await read_topic(kafka_bootstrap, f"{settings.topic_survey_responses}.dlq", until=lambda rs: len(rs) >= 1)
        assert [dict(r.headers)["error.reason"] for r in dead] == [b"unsigned", b"unsigned"]
        statuses = await step_statuses(orchestrator, journey.id)
        assert statuses["confirmation"] == "in_progress", "the forged result moved nothing"
        assert statuses["support_follow_up"] == "pending", "the forged answer moved nothing"

        await responder.answer(command)  # signed, as the notifier signs it: taken
        await eventually(lambda: _status(orchestrator, journey.id, "confirmation", "succeeded"))


async def _status(orchestrator, journey_id, step: str, wanted: str) -> bool:
    return (await step_statuses(orchestrator, journey_id)).get(step) == wanted


async def test_strict_consent_and_an_impossible_end_of_access_through_the_intake(
    orchestrator, billing, kafka_bootstrap
):
    # Issue 23: "yes" became consent and scheduled the win-back; an effective_at 400 days before cancelled_at
    # sent the confirmation, "access has ended" and "we are deleting your data" at once.
    settings = orchestrator.settings
    event = cancellation("sub_backdated", effective_in=timedelta(days=-400))
    event = event.model_copy(update={"data": event.data | {"marketing_consent": "yes"}})
    await billing(settings.topic_subscription_cancelled, event, "sub_backdated")
    (journey,) = await eventually(lambda: journey_rows(orchestrator, "sub_backdated"))
    (first,) = await commands_for(kafka_bootstrap, settings.topic_notifier_commands, "sub_backdated", at_least=1)
    steps = await step_statuses(orchestrator, journey.id)
    assert first["data"]["step"] == "confirmation" and first["data"]["marketing_consent"] is False
    assert steps["win_back_offer"] == "skipped", "no consent: no win-back"
    assert journey.effective_at == journey.cancelled_at, "access cannot end before it was cancelled"
    async with orchestrator.sessions() as session:
        due = dict(
            (
                await session.execute(
                    sa.select(journey_steps.c.name, journey_steps.c.due_at).where(
                        journey_steps.c.journey_id == journey.id
                    )
                )
            ).all()
        )
    assert due["access_ended"] >= journey.started_at + timedelta(hours=1), "not with the confirmation"
    assert due["data_deletion_notice"] >= journey.cancelled_at + timedelta(days=30), "the retention counts"


HOSTILE_IDS = [
    "sub/with/slashes",
    "sub with spaces",
    "sub_ünïcödé_😀",
    "sub%2Fencoded",
    "sub?x=1#y",
    "sub/",
    "../x",
    "...",
]


async def test_every_route_takes_every_subscription_id_the_intake_accepts(orchestrator, billing, api):
    # Issue 23: an id containing "/" was accepted at intake, but its journey could not be fetched by id.
    for n, sub in enumerate(HOSTILE_IDS):
        event = cancellation(sub, email=f"route-{n}@example.com")
        await billing(orchestrator.settings.topic_subscription_cancelled, event, sub)
    for sub in HOSTILE_IDS:
        await eventually(lambda s=sub: journey_rows(orchestrator, s))
    async with api("viewer-token") as client:
        for sub in HOSTILE_IDS:
            found = await client.get(f"/v1/subscriptions/{quote(sub, safe='')}/journey")
            assert found.status_code == 200 and found.json()["subscription_id"] == sub, (sub, found.text)
            listed = await client.get("/v1/journeys", params={"subscription_id": sub})
            assert [j["subscription_id"] for j in listed.json()["items"]] == [sub]
    # The one kind of id no path can carry is refused at the intake, with its reason.
    await billing(
        orchestrator.settings.topic_subscription_cancelled, cancellation("..", email="dots@example.com"), ".."
    )
    (dead,) = await read_topic(
        orchestrator.settings.kafka_bootstrap_servers,
        f"{orchestrator.settings.topic_subscription_cancelled}.dlq",
        until=lambda rs: len(rs) >= 1,
    )
    assert (
        dict(dead.headers)["error.reason"] == b"invalid_data" and b"path segment" in dict(dead.headers)["error.detail"]
    )


async def test_every_reveal_of_an_address_through_the_api_is_audited(orchestrator, billing, api):
    # Issue 23: the console's reveal was audited, the API's ?include=email was not.
    (journey,) = await started(orchestrator, billing, "sub_revealed", email="revealed@example.com")
    async with api("operator-token") as client:
        unexplained = await client.get(f"/v1/journeys/{journey.id}", params={"include": "email"})
        one = await client.get(f"/v1/journeys/{journey.id}", params={"include": "email", "reason": "ticket 4711"})
        by_sub = await client.get(
            "/v1/subscriptions/sub_revealed/journey", params={"include": "email", "reason": "ticket 4712"}
        )
        search = await client.get(
            "/v1/journeys", params={"subscription_id": "sub_revealed", "include": "email", "reason": "ticket 4713"}
        )
        plain = await client.get(f"/v1/journeys/{journey.id}")  # no address asked for: nothing to audit
    assert unexplained.status_code == 403 and "email" not in unexplained.json()
    assert one.json()["email"] == by_sub.json()["email"] == search.json()["items"][0]["email"] == "revealed@example.com"
    assert "email" not in plain.json() or plain.json()["email"] is None
    async with orchestrator.sessions() as session:
        audit = (await session.execute(sa.select(audit_log).where(audit_log.c.journey_id == journey.id))).all()
    assert [(a.action, a.reason) for a in audit] == [
        ("reveal", "ticket 4711"),
        ("reveal", "ticket 4712"),
        ("reveal", "ticket 4713"),
    ]
