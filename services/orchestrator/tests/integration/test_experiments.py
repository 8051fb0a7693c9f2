"""An experiment through the real intake: the journey records its variant (PostgreSQL), the support API shows
it, and every journey event on Kafka carries it."""

import httpx
import pytest
import yaml

from orchestrator.domain.experiments import Experiment
from orchestrator.tools.templates import read_templates

from .conftest import commands_for, running
from .test_api import started

pytestmark = pytest.mark.integration
EXPERIMENT = {
    "name": "win-back-timing",
    "variants": [
        {"name": "control", "weight": 1},
        {"name": "holdout", "weight": 1, "steps": {"win_back_offer": {"skip": True}}},
    ],
}


async def test_the_variant_is_recorded_shown_and_published(settings_for, billing, kafka_bootstrap, tmp_path):
    from orchestrator.bootstrap import bootstrap

    for name, text in read_templates(settings_for().templates_dir).items():
        if name == "b2c-voluntary.v1.yaml":
            text = yaml.safe_dump(yaml.safe_load(text) | {"experiment": EXPERIMENT}, sort_keys=False)
        (tmp_path / name).write_text(text)
    subs = [f"sub_exp_{n}" for n in range(6)]
    expected = {sub: Experiment.model_validate(EXPERIMENT).assign(sub).name for sub in subs}
    assert set(expected.values()) == {"control", "holdout"}  # both variants among these six
    settings = settings_for(templates_dir=tmp_path)
    async with running(bootstrap(settings)) as orchestrator:
        rows = await started(orchestrator, billing, *subs)
        api = orchestrator.http_app
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=api),
            base_url="http://t",
            headers={"Authorization": "Bearer viewer-token"},
        ) as client:
            shown = {sub: (await client.get(f"/v1/subscriptions/{sub}/journey")).json() for sub in subs}
        events = await commands_for(kafka_bootstrap, settings.topic_journey_events, subs[0], at_least=1)
    assert {row.subscription_id: row.variant for row in rows} == expected
    assert {sub: journey["variant"] for sub, journey in shown.items()} == expected
    for sub, journey in shown.items():
        has_offer = "win_back_offer" in {step["name"] for step in journey["steps"]}
        assert has_offer == (expected[sub] == "control")
    assert events and all(event["data"]["variant"] == expected[subs[0]] for event in events)
