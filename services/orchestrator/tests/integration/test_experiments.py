"""An experiment through the real intake: the journey records its variant (PostgreSQL), the support API shows
it, and every journey event on Kafka carries it; then what its customers did (survey answers, unsubscribes,
reactivations, all over Kafka) is read per variant."""

from datetime import UTC, datetime, timedelta

import httpx
import pytest
import yaml

from orchestrator.domain.experiments import Experiment
from orchestrator.tools.sample_events import reactivation
from orchestrator.tools.templates import read_templates
from shared.events.commands import CustomerUnsubscribed, SurveyResponseSubmitted

from .conftest import Responder, commands_for, eventually, running, step_statuses
from .test_api import started
from .test_console import signed_in

pytestmark = pytest.mark.integration
EXPERIMENT = {
    "name": "win-back-timing",
    "variants": [
        {"name": "control", "weight": 1},
        {"name": "holdout", "weight": 1, "steps": {"win_back_offer": {"skip": True}}},
    ],
}


def with_experiment(settings_for, folder):
    for name, text in read_templates(settings_for().templates_dir).items():
        if name == "b2c-voluntary.v1.yaml":
            text = yaml.safe_dump(yaml.safe_load(text) | {"experiment": EXPERIMENT}, sort_keys=False)
        (folder / name).write_text(text)
    return settings_for(templates_dir=folder)


def viewer(orchestrator) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=orchestrator.http_app),
        base_url="http://t",
        headers={"Authorization": "Bearer viewer-token"},
    )


async def test_the_variant_is_recorded_shown_and_published(settings_for, billing, kafka_bootstrap, tmp_path):
    from orchestrator.bootstrap import bootstrap

    subs = [f"sub_exp_{n}" for n in range(6)]
    expected = {sub: Experiment.model_validate(EXPERIMENT).assign(sub).name for sub in subs}
    assert set(expected.values()) == {"control", "holdout"}  # both variants among these six
    settings = with_experiment(settings_for, tmp_path)
    async with running(bootstrap(settings)) as orchestrator:
        rows = await started(orchestrator, billing, *subs)
        async with viewer(orchestrator) as client:
            shown = {sub: (await client.get(f"/v1/subscriptions/{sub}/journey")).json() for sub in subs}
        events = await commands_for(kafka_bootstrap, settings.topic_journey_events, subs[0], at_least=1)
    assert {row.subscription_id: row.variant for row in rows} == expected
    assert {sub: journey["variant"] for sub, journey in shown.items()} == expected
    for sub, journey in shown.items():
        has_offer = "win_back_offer" in {step["name"] for step in journey["steps"]}
        assert has_offer == (expected[sub] == "control")
    assert events and all(event["data"]["variant"] == expected[subs[0]] for event in events)


# What each of eight customers does after cancelling, 100 days ago: (score or None, unsubscribes, reactivated
# after so many days or None).
BEHAVIOUR = [(10, False, None), (9, True, None), (3, False, 10), (7, False, 60), (10, False, None)]
BEHAVIOUR += [(None, True, None), (None, False, 95), (None, False, None)]


async def test_insights_read_each_variants_customers(settings_for, billing, kafka_bootstrap, tmp_path):
    from orchestrator.bootstrap import bootstrap

    settings = with_experiment(settings_for, tmp_path)
    subs = [f"sub_read_{n}" for n in range(len(BEHAVIOUR))]
    variant = {sub: Experiment.model_validate(EXPERIMENT).assign(sub).name for sub in subs}
    assert set(variant.values()) == {"control", "holdout"}
    cancelled = datetime.now(UTC) - timedelta(days=100)
    later = timedelta()
    clock = lambda: datetime.now(UTC) + later  # noqa: E731
    async with (
        running(bootstrap(settings, clock=clock)) as orchestrator,
        Responder(kafka_bootstrap, settings) as responder,
    ):
        rows = await started(orchestrator, billing, *subs, cancelled_at=cancelled, effective_in=timedelta(days=120))
        journey = {row.subscription_id: row for row in rows}
        later = timedelta(hours=1, minutes=1)  # the exit survey is due an hour after the start
        for sub in subs:  # the survey service creates each exit survey
            (command,) = await commands_for(kafka_bootstrap, settings.topic_survey_commands, sub, at_least=1)
            await responder.answer(command, data={"survey_url": "https://survey.example/s/x"})
        for sub in subs:
            await eventually(lambda s=sub: _is(step_statuses(orchestrator, journey[s].id), "exit_survey", "succeeded"))
        for sub, (score, unsubscribes, back_after) in zip(subs, BEHAVIOUR, strict=True):
            ids = {"journey_id": str(journey[sub].id), "subscription_id": sub, "customer_id": f"cus_{sub}"}
            if score is not None:
                answer = SurveyResponseSubmitted(
                    **ids, segment="b2c", reason="too_expensive", score=score, comment=None, may_contact=False
                )
                await responder.publish(settings.topic_survey_responses, sub, answer)
            if unsubscribes:
                told = CustomerUnsubscribed(**ids, unsubscribed_at=datetime.now(UTC))
                await responder.publish(settings.topic_step_results, sub, told)
                await responder.publish(settings.topic_step_results, sub, told)  # told twice: counts once
            if back_after is not None:
                back = reactivation(sub, reactivated_at=cancelled + timedelta(days=back_after))
                await billing(settings.topic_subscription_reactivated, back, sub)
        expected = _expected(subs, variant)
        async with viewer(orchestrator) as client:
            reading = await eventually(lambda: _reading_once_complete(client, expected))
            listed = (await client.get("/v1/experiments")).json()["items"]
            unknown = await client.get("/v1/experiments/no-such-test")
            empty = await client.get(
                "/v1/experiments/win-back-timing", params={"from": "2026-01-02", "to": "2026-01-01"}
            )
            naive = await client.get("/v1/experiments/win-back-timing", params={"from": 1700000000})
            before = await client.get(
                "/v1/experiments/win-back-timing", params={"from": "2026-01-01", "to": "2026-01-31"}
            )
            timeline = (await client.get(f"/v1/journeys/{journey[subs[1]].id}")).json()["timeline"]
        async with signed_in(orchestrator, "viewer-token", lang="de") as console:
            listing = await console.get("/console/experiments")
            page = await console.get("/console/experiments/win-back-timing")
            backwards = await console.get("/console/experiments/win-back-timing?from=2026-02-01&to=2026-01-01")
    assert [(e["experiment"], e["journeys"], e["status"]) for e in listed] == [("win-back-timing", 8, "running")]
    assert reading["control"] == "control" and reading["templates"] == [{"template": "b2c-voluntary", "version": 1}]
    for shown in reading["variants"]:
        want = expected[shown["name"]]
        assert shown["journeys"] == shown["customers"] == want["journeys"]
        assert (shown["survey_response_rate"]["count"], shown["survey_response_rate"]["n"]) == want["response"]
        assert shown["mean_score"]["n"] == len(want["scores"])
        if want["scores"]:
            assert shown["mean_score"]["value"] == pytest.approx(sum(want["scores"]) / len(want["scores"]), abs=0.01)
        assert (shown["unsubscribe_rate"]["count"], shown["unsubscribe_rate"]["n"]) == want["unsubscribed"]
        assert (shown["reactivated_30d"]["count"], shown["reactivated_90d"]["count"]) == want["reactivated"]
        assert shown["expected_share"] == 0.5
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "experiment_not_found"
    assert empty.status_code == 422 and naive.status_code == 422
    assert before.status_code == 200 and before.json()["journeys"] == 0
    assert [v["journeys"] for v in before.json()["variants"]] == [0, 0]
    assert [e["what"] for e in timeline].count("unsubscribed") == 1
    # The console shows the same reading, in German: every metric as a chart and a table.
    assert listing.status_code == 200 and 'href="/console/experiments/win-back-timing"' in listing.text
    assert page.status_code == 200 and page.text.count('class="chart-row"') == 7
    assert "Innerhalb von 90 Tagen reaktiviert" in page.text and "Journeys: 8." in page.text
    assert backwards.status_code == 200 and "Journeys: 8." in backwards.text  # a backwards window is left out


def _expected(subs, variant) -> dict:
    expected = {}
    for name in ("control", "holdout"):
        mine = [b for sub, b in zip(subs, BEHAVIOUR, strict=True) if variant[sub] == name]
        expected[name] = {
            "journeys": len(mine),
            "scores": [score for score, _, _ in mine if score is not None],
            "response": (sum(score is not None for score, _, _ in mine), len(mine)),
            "unsubscribed": (sum(unsubscribes for _, unsubscribes, _ in mine), len(mine)),
            "reactivated": (
                sum(back is not None and back <= 30 for _, _, back in mine),
                sum(back is not None and back <= 90 for _, _, back in mine),
            ),
        }
    return expected


async def _reading_once_complete(client, expected) -> dict | None:
    """The reading, once every answer, unsubscribe and reactivation sent has been counted."""
    reading = (await client.get("/v1/experiments/win-back-timing")).json()
    totals = [
        (v["survey_response_rate"]["count"], v["unsubscribe_rate"]["count"], v["reactivated_90d"]["count"])
        for v in reading["variants"]
    ]
    wanted = [(e["response"][0], e["unsubscribed"][0], e["reactivated"][1]) for e in expected.values()]
    return reading if sorted(totals) == sorted(wanted) else None


async def _is(statuses, step: str, status: str) -> bool:
    return (await statuses).get(step) == status
