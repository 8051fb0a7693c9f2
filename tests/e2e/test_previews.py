"""An author's preview across the real services: the orchestrator plans the journey on a simulated clock, the
notifier renders each email as the customer would receive it; nothing is stored, sent or published."""

import uuid

import pytest

from orchestrator.tools.sample_events import cancellation

from .system import System, mail

pytestmark = pytest.mark.integration


def data(segment="b2c", initiated_by="customer", consent=False, locale="en") -> dict:
    subscription = f"sub_pv_{uuid.uuid4().hex[:8]}"
    event = cancellation(
        subscription,
        segment=segment,
        initiated_by=initiated_by,
        consent=consent,
        email=f"{subscription}@preview-test.example",
    )
    event.data["customer"]["locale"] = locale
    return event.data


def steps(preview: dict) -> dict[str, dict]:
    return {step["name"]: step for step in preview["steps"]}


async def test_previews_of_the_three_journeys_with_their_emails(system: System):
    await system.start("notifier")  # first, so the orchestrator knows where to ask for renders
    await system.start("orchestrator")
    b2c, b2b, involuntary = data(consent=True, locale="de"), data(segment="b2b"), data(initiated_by="payment_failure")
    async with system.orchestrator_api() as api:
        answers = [(await api.post("/v1/previews", json={"data": d})) for d in (b2c, b2b, involuntary)]
        answered = await api.post("/v1/previews", json={"data": b2c, "survey": {"score": 3, "reason": "poor_support"}})
        bad = await api.post("/v1/previews", json={"data": {**b2c, "cancelled_at": "yesterday"}})
        unknown = await api.post("/v1/previews", json={"data": b2c, "template": "b2c-voluntary", "version": 9})
        stored = (await api.get("/v1/journeys", params={"subscription_id": b2c["subscription_id"]})).json()
        anonymous = await api.post("/v1/previews", json={"data": b2c}, headers={"Authorization": ""})
    assert [a.status_code for a in answers] == [200, 200, 200], [a.text for a in answers]
    first, second, third = (a.json() for a in answers)

    assert (first["template"], first["template_version"]) == ("b2c-voluntary", 1)
    assert first["selection"] == "selection.yaml rule 3: the default"
    plan = steps(first)
    assert plan["confirmation"]["would"] == "run" and plan["confirmation"]["why"] == "at the start"
    confirmation = plan["confirmation"]["message"]
    assert confirmation["locale"] == "de" and "Ada Lovelace" in confirmation["text"] and "<html" in confirmation["html"]
    assert "Abonnement" in confirmation["subject"]
    assert plan["exit_survey_invitation"]["message"]["text"].count("/s/preview") == 1
    assert plan["win_back_offer"]["would"] == "run" and "/u/preview" in plan["win_back_offer"]["message"]["text"]
    assert plan["support_follow_up"]["would"] == "skip" and plan["support_follow_up"]["message"] is None
    assert plan["erase_personal_data"]["would"] == "run" and plan["erase_personal_data"]["message"] is None
    assert first["problems"] == []

    assert second["template"] == "b2b-voluntary" and second["selection"].startswith("selection.yaml rule 2: ")
    assert "Analytical Engines Ltd" in steps(second)["confirmation"]["message"]["text"]
    assert steps(second)["win_back_offer"]["would"] == "skip"  # no consent
    assert "condition not met" in steps(second)["win_back_offer"]["why"]

    assert third["template"] == "involuntary" and third["selection"].startswith("selection.yaml rule 1: ")
    assert steps(third)["payment_update"]["message"]["subject"]

    unhappy = steps(answered.json())
    assert unhappy["support_follow_up"]["would"] == "run" and unhappy["win_back_offer"]["would"] == "skip"
    assert unhappy["exit_survey_reminder"]["would"] == "skip"

    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_request"
    assert "cancelled_at" in bad.json()["error"]["message"]
    assert unknown.status_code == 404 and "b2c-voluntary [1]" in unknown.json()["error"]["message"]
    assert anonymous.status_code == 401
    assert stored["items"] == [] and mail(system.maildir, "preview-test.example") == []
