"""docs/asyncapi.yaml documents every topic the services create."""

import json
import re
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


def test_every_message_has_examples_that_its_schema_and_its_reader_accept():
    import jsonschema
    from referencing import Registry, Resource

    from shared.events.commands import service_messages
    from shared.events.envelope import parse_kafka_message
    from shared.events.subscription import billing_events

    document = yaml.safe_load((ROOT / "docs" / "asyncapi.yaml").read_text())
    registry = Registry().with_resource("urn:asyncapi", Resource.opaque(document))
    for name, message in document["components"]["messages"].items():
        examples = message.get("examples") or []
        assert examples, f"{name} has no example"
        schema = {"$ref": "urn:asyncapi#/components/messages/" + name + "/payload"}
        for example in examples:
            jsonschema.Draft202012Validator(schema, registry=registry).validate(example["payload"])
            if name == "DeadLetter":
                continue
            event = parse_kafka_message(json.dumps(example["payload"]).encode(), [])
            reader = billing_events if event.type.startswith("subscription.") else service_messages
            if not event.type.startswith("offboarding.journey."):
                reader.read(event)  # raises, naming the field, if the example would be dead-lettered
        signed = any(t.get("$ref", "").endswith("/signed") for t in message.get("traits", []))
        for example in examples if signed else ():
            assert re.fullmatch(r"v1=[A-Za-z0-9_-]{43}", example["headers"]["offboarding-mac"]), name
