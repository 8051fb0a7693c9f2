"""Attacks on the topics that move journeys: a forged step result ("the confirmation went out") or a forged
exit-survey answer (a low score brings the support follow-up) is refused unread; a signed one is taken."""

import pytest

from shared.events.commands import StepResult, SurveyResponseSubmitted
from shared.testing import read_topic

from .conftest import Responder, commands_for, eventually, step_statuses
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
