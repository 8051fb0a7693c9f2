"""docs/asyncapi.yaml documents every topic the services create."""

from pathlib import Path

import yaml

from orchestrator.config import Settings as OrchestratorSettings
from shared.events.topics import dlq_topic
from survey.config import Settings as SurveySettings

ROOT = Path(__file__).resolve().parents[2]


def test_every_created_topic_is_a_documented_channel():
    document = yaml.safe_load((ROOT / "docs" / "asyncapi.yaml").read_text())
    assert document["asyncapi"].startswith("3.")
    addresses = {channel["address"] for channel in document["channels"].values()}
    orchestrator, survey = OrchestratorSettings(), SurveySettings()
    created = {
        orchestrator.topic_subscription_cancelled,
        orchestrator.topic_subscription_reactivated,
        orchestrator.topic_journey_events,
        survey.topic_survey_responses,
    }
    created |= {dlq_topic(t) for t in created}
    assert created <= addresses, sorted(created - addresses)
