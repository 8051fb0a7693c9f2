"""The exit survey end to end: command to link, the page, one answer published, refusals, insights, erasure."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from shared.events.commands import ErasePersonalData
from shared.testing import wait_until
from survey.adapters.tables import answers
from survey.bootstrap import bootstrap

from .conftest import Orchestrator, client, running

pytestmark = pytest.mark.integration
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


async def test_a_command_creates_a_survey_whose_answer_is_stored_and_published_once(settings_for):
    settings = settings_for()
    async with running(bootstrap(settings)) as survey, Orchestrator(settings) as orchestrator:
        command_id, command = await orchestrator.create_survey(locale="de")
        url = await orchestrator.survey_url(command_id)
        assert url.startswith("http://survey.test/s/")
        path = url.removeprefix("http://survey.test")
        async with client(survey) as http:
            page = await http.get(path)
            assert page.status_code == 200 and 'lang="de"' in page.text and "<form" in page.text
            sent = await http.post(
                path, headers=FORM, content="reason=poor_support&score=3&comment=Zu+langsam&may_contact=yes"
            )
            again = await http.post(path, headers=FORM, content="reason=too_expensive&score=9")
            reopened = await http.get(path)
        assert sent.status_code == 200 and "Vielen Dank" in sent.text
        assert again.status_code == 409 and "Bereits beantwortet" in again.text
        assert reopened.status_code == 409
        (published,) = await orchestrator.answers({command.journey_id})
    assert published["type"] == "survey.response.submitted"
    assert published["data"] | {"submitted_at": None} == {
        "journey_id": command.journey_id,
        "subscription_id": command.subscription_id,
        "customer_id": command.customer_id,
        "segment": "b2c",
        "reason": "poor_support",
        "score": 3,
        "comment": "Zu langsam",
        "may_contact": True,
        "submitted_at": None,
    }


async def test_json_answers_and_bad_input_are_refused_without_storing_anything(settings_for):
    settings = settings_for()
    async with running(bootstrap(settings)) as survey, Orchestrator(settings) as orchestrator:
        command_id, _ = await orchestrator.create_survey()
        path = (await orchestrator.survey_url(command_id)).removeprefix("http://survey.test")
        async with client(survey) as http:
            bad = [
                await http.post(path, json={"reason": "aliens", "score": 5}),
                await http.post(path, json={"reason": "too_expensive"}),
                await http.post(path, json={"reason": "too_expensive", "score": 5, "comment": "x" * 2001}),
                await http.post(path, json=["not", "an", "object"]),
                await http.post(path, json={"reason": "too_expensive", "score": 5, "comment": "y" * 20_000}),
            ]
            form = await http.post(
                path,
                headers=FORM,
                content="reason=other&reason_other=&score=4&comment=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
            )
            unknown = await http.get("/s/not-a-token.forged")
            async with survey.sessions() as session:
                stored = await session.scalar(sa.select(sa.func.count()).select_from(answers))
            ok = await http.post(path, json={"reason": "missing_features", "score": 8, "comment": "<b>reports</b>"})
    assert [r.status_code for r in bad] == [422, 422, 422, 400, 413]
    assert bad[0].json()["error"]["code"] == "invalid_answer" and "reason" in bad[0].json()["error"]["message"]
    assert form.status_code == 422 and 'role="alert"' in form.text
    assert "<script>alert(1)</script>" not in form.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in form.text
    assert unknown.status_code == 404 and "could not find" in unknown.text
    assert stored == 0
    assert ok.status_code == 200 and ok.json() == {"status": "received"}


async def test_an_expired_survey_is_refused_with_a_clear_page(settings_for):
    later = datetime.now(UTC) + timedelta(days=31)
    settings = settings_for()
    async with running(bootstrap(settings)), Orchestrator(settings) as orchestrator:
        command_id, _ = await orchestrator.create_survey()
        path = (await orchestrator.survey_url(command_id)).removeprefix("http://survey.test")
    async with running(bootstrap(settings, clock=lambda: later)) as survey_later, client(survey_later) as http:
        shown = await http.get(path)
        posted = await http.post(path, headers=FORM, content="reason=too_expensive&score=5")
    assert shown.status_code == posted.status_code == 410
    assert "has closed" in shown.text


async def test_insights_match_the_answers(settings_for):
    settings = settings_for()
    plan = [
        ("b2c", "too_expensive", 2),
        ("b2c", "too_expensive", 9),
        ("b2c", "poor_support", 6),
        ("b2b", "missing_features", 10),
        ("b2c", None, None),
    ]  # the last one is never answered
    async with (
        running(bootstrap(settings)) as survey,
        Orchestrator(settings) as orchestrator,
        client(survey, headers={"Authorization": "Bearer viewer-token"}) as http,
    ):
        journeys = []
        for segment, reason, score in plan:
            command_id, command = await orchestrator.create_survey(segment=segment)
            path = (await orchestrator.survey_url(command_id)).removeprefix("http://survey.test")
            if reason:
                comment = "call me at +49 170 1234567 or ada@example.com" if score == 2 else "fine"
                response = await http.post(path, json={"reason": reason, "score": score, "comment": comment})
                assert response.status_code == 200
            journeys.append(command.journey_id)
        everything = (await http.get("/v1/insights")).json()
        business = (await http.get("/v1/insights", params={"template": "b2b-voluntary"})).json()
        one = (await http.get(f"/v1/answers/{journeys[0]}")).json()
        unanswered = await http.get(f"/v1/answers/{journeys[-1]}")
        consumers = (await http.get("/v1/insights", params={"segment": "b2c"})).json()
        empty = (await http.get("/v1/insights", params={"from": "2020-01-01", "to": "2020-01-02"})).json()
        backwards = await http.get("/v1/insights", params={"from": "2026-01-02", "to": "2026-01-01"})
        anonymous = await http.get("/v1/insights", headers={"Authorization": ""})
    assert everything["answers"] == 4 and everything["surveys_sent"] == 5 and everything["response_rate"] == 0.8
    assert everything["reasons"][0] == {"reason": "too_expensive", "count": 2, "share": 0.5}
    assert everything["score_distribution"]["2"] == 1 and everything["score_distribution"]["10"] == 1
    assert everything["nps"] == {"promoters": 2, "passives": 0, "detractors": 2, "score": 0.0}
    assert consumers["answers"] == 3 and consumers["nps"]["score"] == round(100 * (1 - 2) / 3, 1)
    comments = [c["comment"] for c in everything["latest_comments"]]
    assert "call me at [phone] or [email]" in comments and not any("example.com" in c for c in comments)
    assert empty["answers"] == 0 and empty["response_rate"] is None and empty["nps"]["score"] is None
    assert backwards.status_code == 422 and anonymous.status_code == 401
    assert business["answers"] == 1 and business["template"] == "b2b-voluntary"
    (month,) = everything["by_month"]
    assert (month["answers"], month["surveys_sent"], month["nps"]) == (4, 5, 0.0)
    assert (one["score"], one["reason"], one["comment"]) == (2, "too_expensive", "call me at [phone] or [email]")
    assert unanswered.status_code == 404


async def test_erasure_removes_free_text_and_keeps_the_anonymous_record(settings_for):
    settings = settings_for()
    async with running(bootstrap(settings)) as survey, Orchestrator(settings) as orchestrator:
        command_id, command = await orchestrator.create_survey()
        path = (await orchestrator.survey_url(command_id)).removeprefix("http://survey.test")
        async with client(survey) as http:
            await http.post(
                path,
                json={
                    "reason": "other",
                    "reason_other": "my boss Bob",
                    "score": 5,
                    "comment": "I am Ada, ada@example.com",
                },
            )
        erase = ErasePersonalData(
            journey_id=command.journey_id, subscription_id=command.subscription_id, customer_id=command.customer_id
        )
        await orchestrator.erase_keys(command.journey_id)  # as the orchestrator does in the same transaction
        await orchestrator.send(str(uuid.uuid4()), erase)

        async def erased():
            async with survey.sessions() as session:
                row = (
                    await session.execute(sa.select(answers).where(answers.c.journey_id == command.journey_id))
                ).one()
                return row.erased_at is not None and row

        await wait_until(erased)
        row = await erased()
        async with client(survey) as http:
            gone = await http.get(path)
    assert (row.comment, row.reason_other, row.reason, row.score) == (None, None, "other", 5)
    assert gone.status_code == 404, "the link is retired"
