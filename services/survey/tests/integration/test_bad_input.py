"""Bad input on the survey's routes: a clear 4xx (a page for the customer, JSON for a client), never a 5xx;
free text that PostgreSQL cannot store is cleaned, not refused with a stack trace."""

import pytest
import sqlalchemy as sa

from survey.adapters.tables import answers
from survey.bootstrap import bootstrap

from .conftest import Orchestrator, client, running

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/s/a.%C3%A9", 404),
        ("/s/%C3%A9%C3%A9.%C3%A9", 404),
        ("/s/" + "a" * 300, 404),
        ("/s/a.b%00", 400),
        ("/v1/insights?to=9999-12-31", 200),  # clamped to 9999-01-01: everything up to then
        ("/v1/insights?from=0001-01-01", 200),  # clamped to 1970: everything since then
        ("/v1/insights?to=0001-01-01", 422),  # a window that ends before it begins
        ("/v1/insights?from=9999-12-31T23:59:59-05:00", 422),
        ("/v1/insights?from=0.5", 422),  # a number is not an ISO date
        ("/v1/insights?plan=%00", 400),
    ],
)
async def test_hostile_urls_get_a_clear_answer_never_a_5xx(settings_for, url, status):
    runtime = bootstrap(settings_for())
    async with running(runtime), client(runtime, headers={"Authorization": "Bearer viewer-token"}) as http:
        response = await http.get(url)
    assert response.status_code == status, (url, response.status_code, response.text)


async def test_hostile_answers_are_refused_or_cleaned(settings_for):
    settings = settings_for()
    async with running(bootstrap(settings)) as runtime, Orchestrator(settings) as orchestrator:
        command_id, command = await orchestrator.create_survey()
        path = (await orchestrator.survey_url(command_id)).removeprefix("http://survey.test")
        async with client(runtime) as http:
            nested = await http.post(
                path, content=b"[" * 8_000 + b"]" * 8_000, headers={"content-type": "application/json"}
            )
            surrogate = await http.post(
                path,
                content=b'{"reason": "other", "reason_other": "\\ud800", "score": 3}',
                headers={"content-type": "application/json"},
            )
            answered = await http.post(
                path, json={"reason": "other", "reason_other": "A\x00B", "score": 3, "comment": "Slow\x00\r\nreplies"}
            )
        async with runtime.sessions() as session:
            stored = (await session.execute(sa.select(answers).where(answers.c.journey_id == command.journey_id))).one()
    assert nested.status_code == 400
    assert surrogate.status_code == 422
    assert answered.status_code == 200, answered.text
    assert (stored.reason_other, stored.comment) == ("A B", "Slow\nreplies")
