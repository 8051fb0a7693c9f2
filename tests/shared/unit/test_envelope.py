"""CloudEvents parsing in both content modes, and the errors that send a message to the DLQ."""

import json

import pytest
from pydantic import ValidationError

from shared.events.envelope import CloudEvent, InvalidMessage, new_event, parse_kafka_message

STRUCTURED = {
    "specversion": "1.0",
    "id": "evt_1",
    "source": "billing/acme",
    "type": "subscription.cancelled",
    "time": "2026-11-24T10:00:00Z",
    "datacontenttype": "application/json",
    "data": {"subscription_id": "sub_1"},
    "tenant": "acme",
}


def test_structured_mode_is_parsed_with_extensions_kept():
    event = parse_kafka_message(json.dumps(STRUCTURED).encode(), [])
    assert event.identity == ("billing/acme", "evt_1")
    assert event.data == {"subscription_id": "sub_1"}
    assert event.extension("tenant") == "acme"
    assert event.time.isoformat() == "2026-11-24T10:00:00+00:00"


def test_binary_mode_reads_attributes_from_ce_headers():
    headers = [
        ("ce_specversion", b"1.0"),
        ("ce_id", b"evt_2"),
        ("ce_source", b"billing/acme"),
        ("ce_type", b"subscription.reactivated"),
        ("ce_time", b"2026-11-25T08:00:00Z"),
        ("content-type", b"application/json"),
        ("traceparent", b"00-abc"),
    ]
    event = parse_kafka_message(b'{"subscription_id": "sub_1"}', headers)
    assert (event.id, event.type, event.datacontenttype) == ("evt_2", "subscription.reactivated", "application/json")
    assert event.data == {"subscription_id": "sub_1"}


def test_structured_round_trip():
    event = new_event("offboarding.journey.started", "offboarding/orchestrator", {"journey_id": "j1"}, subject="sub_1")
    again = parse_kafka_message(event.to_json_bytes(), [])
    assert again == event


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"\xff\xfe not utf-8", "not_utf8"),
        (b"{not json", "not_json"),
        (b"[1, 2]", "invalid_envelope"),
        (None, "empty_value"),
        (json.dumps({**STRUCTURED, "specversion": "0.3"}).encode(), "unsupported_specversion"),
        (json.dumps({k: v for k, v in STRUCTURED.items() if k != "id"}).encode(), "invalid_envelope"),
        (json.dumps({**STRUCTURED, "time": "yesterday"}).encode(), "invalid_envelope"),
        (json.dumps({**STRUCTURED, "source": ""}).encode(), "invalid_envelope"),
    ],
)
def test_bad_messages_are_rejected_with_a_reason(value, reason):
    with pytest.raises(InvalidMessage) as caught:
        parse_kafka_message(value, [])
    assert caught.value.reason == reason
    assert caught.value.detail


def test_missing_attribute_is_named_in_the_detail():
    missing_time = {k: v for k, v in STRUCTURED.items() if k != "time"}
    with pytest.raises(InvalidMessage) as caught:
        parse_kafka_message(json.dumps(missing_time).encode(), [])
    assert "time" in caught.value.detail


def test_binary_mode_without_required_header_is_rejected():
    with pytest.raises(InvalidMessage) as caught:
        parse_kafka_message(b"{}", [("ce_specversion", b"1.0"), ("ce_id", b"x")])
    assert caught.value.reason == "invalid_envelope"
    assert "source" in caught.value.detail


def test_events_are_immutable():
    event = CloudEvent.model_validate(STRUCTURED)
    with pytest.raises(ValidationError):
        event.id = "other"
