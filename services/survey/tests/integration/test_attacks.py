"""Attacks on the survey service's command topic (issue 23's probe created a working survey link for an erased
journey with one forged record, and the link then travelled in clear on the step-results topic)."""

import json
import uuid

import pytest
import sqlalchemy as sa

from shared.events.commands import CreateSurvey
from shared.testing import read_topic
from survey.adapters.tables import surveys
from survey.bootstrap import bootstrap

from .conftest import Orchestrator, running

pytestmark = [pytest.mark.integration, pytest.mark.attack]


def create_survey(journey_id: str) -> CreateSurvey:
    return CreateSurvey(
        journey_id=journey_id,
        subscription_id=f"sub_{journey_id[:8]}",
        customer_id="cus_1",
        step="exit_survey",
        attempt=1,
        segment="b2c",
    )


async def test_no_survey_for_an_erased_or_unknown_journey_and_no_link_in_the_clear(settings_for):
    settings = settings_for()
    erased, unknown, real = (str(uuid.uuid4()) for _ in range(3))
    async with running(bootstrap(settings)) as survey, Orchestrator(settings) as orchestrator:
        await orchestrator.keys(erased)
        await orchestrator.erase_keys(erased)
        await orchestrator.send(str(uuid.uuid4()), create_survey(erased))  # signed, but the journey is erased
        forged = create_survey(unknown).model_dump(mode="json")
        record = {"specversion": "1.0", "id": "x", "source": "offboarding/orchestrator", "time": "2026-12-01T00:00:00Z"}
        record |= {"type": CreateSurvey.event_type, "data": forged}
        await orchestrator.send_raw(json.dumps(record).encode(), key=b"sub_x", headers=[])  # unsigned
        real_id = str(uuid.uuid4())
        await orchestrator.send(real_id, create_survey(real))
        url = await orchestrator.survey_url(real_id)  # opened with the journey's key: it came sealed
        results = await read_topic(
            settings.kafka_bootstrap_servers, settings.topic_step_results, until=lambda rs: len(rs) >= 1
        )
        dead = await read_topic(
            settings.kafka_bootstrap_servers, f"{settings.topic_commands}.dlq", until=lambda rs: len(rs) >= 2
        )
        async with survey.sessions() as session:
            journeys = set((await session.execute(sa.select(surveys.c.journey_id))).scalars())
    assert sorted(dict(r.headers)["error.reason"] for r in dead) == [b"journey_erased", b"unsigned"]
    assert journeys == {real}, "no survey exists for the erased or the unknown journey"
    token = url.rsplit("/", 1)[1]
    assert all(token.encode() not in r.value for r in results), "the link never travels in the clear"
