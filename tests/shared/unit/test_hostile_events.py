"""Hostile and careless billing events at the edge: each gets a documented outcome (cleaned, defaulted, or a
DLQ reason naming the field), never an exception that would stall the consumer."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.events.envelope import CloudEvent, InvalidMessage, parse_kafka_message
from shared.events.subscription import SubscriptionCancelled, SubscriptionReactivated, billing_events
from shared.text import clean_line, clean_paragraphs, is_plain

DATA = {
    "subscription_id": "sub_123",
    "customer_id": "cus_456",
    "customer": {"email": "ada@example.com", "name": "Ada Lovelace"},
    "cancelled_at": "2026-11-24T10:00:00Z",
}


def read(data: dict, type_: str = "subscription.cancelled"):
    event = CloudEvent(
        specversion="1.0", id="e1", source="billing/acme", type=type_, time="2026-11-24T10:00:00Z", data=data
    )
    return billing_events.read(event)


def with_customer(**fields) -> dict:
    return {**DATA, "customer": {**DATA["customer"], **fields}}


@pytest.mark.parametrize(
    ("name", "cleaned"),
    [
        ("Ada\x00Lovelace", "Ada Lovelace"),
        ("Ada\r\nBcc: attacker@evil.test", "Ada Bcc: attacker@evil.test"),
        ("Ada\x0bLovelace", "Ada Lovelace"),
        ("Ada\u2028Lovelace\x85", "Ada Lovelace"),
        ("\u202eecalevoL adA", "ecalevoL adA"),
        ("Ada \ud800Lovelace", "Ada Lovelace"),
        ("  \x00 \t ", None),
    ],
)
def test_control_characters_and_unstorable_text_in_names_are_removed(name, cleaned):
    cancelled = read(with_customer(name=name, company=name))
    assert cancelled.customer.name == cleaned
    assert cancelled.customer.company == cleaned
    assert "customer.name:cleaned" in cancelled.cleaned


def test_a_name_that_looks_like_template_syntax_is_kept_as_data():
    assert read(with_customer(name="Zq {{ 7*7 }}")).customer.name == "Zq {{ 7*7 }}"


@pytest.mark.parametrize("zone", ["America", "../../etc/passwd", "Mars/Olympus", "", "UTC\x00", "Europe/Berlin "])
def test_an_unknown_time_zone_falls_back_to_utc_with_a_note(zone):
    cancelled = read(with_customer(timezone=zone))
    assert cancelled.customer.timezone == "UTC"
    assert "customer.timezone:unknown_defaulted_to_utc" in cancelled.cleaned


def test_a_known_time_zone_is_kept_and_nothing_is_noted():
    cancelled = read(with_customer(timezone="America/New_York", locale="de-DE"))
    assert (cancelled.customer.timezone, cancelled.customer.locale) == ("America/New_York", "de-DE")
    assert cancelled.cleaned == ()


@pytest.mark.parametrize("locale", ["../en", "x", "en\x00", "<script>", "e" * 40])
def test_an_unusable_locale_falls_back_to_english(locale):
    cancelled = read(with_customer(locale=locale))
    assert cancelled.customer.locale == "en"
    assert "customer.locale:unknown_defaulted_to_en" in cancelled.cleaned


def test_optional_fields_given_as_null_take_their_defaults():
    cancelled = read({**with_customer(segment=None, locale=None, timezone=None), "initiated_by": None})
    assert (cancelled.customer.segment, cancelled.customer.locale, cancelled.customer.timezone) == ("b2c", "en", "UTC")
    assert cancelled.initiated_by == "customer" and cancelled.effective_at == cancelled.cancelled_at


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"effective_at": "9999-12-31T23:59:59Z"}, "effective_at"),
        ({"effective_at": "1969-12-31T23:59:59Z"}, "effective_at"),
        ({"cancelled_at": "0001-01-01T00:00:00Z"}, "cancelled_at"),
        ({"cancelled_at": (datetime.now(UTC) + timedelta(days=3660)).isoformat()}, "cancelled_at"),
        ({"subscription_id": "sub\x00_1"}, "subscription_id"),
        ({"customer_id": "cus\n1"}, "customer_id"),
        ({"subscription_id": "sub_\udc80"}, "subscription_id"),
        ({"customer": {"email": "ada\x00@example.com"}}, "customer.email"),
        ({"customer": {"email": "ada@example.com\r\nBcc: x@evil.test"}}, "customer.email"),
    ],
)
def test_dates_out_of_range_and_unstorable_ids_are_rejected_naming_the_field(change, field):
    with pytest.raises(InvalidMessage) as caught:
        read({**DATA, **change})
    assert caught.value.reason == "invalid_data"
    assert field in caught.value.detail


def test_a_long_past_effective_date_inside_the_range_is_accepted():
    cancelled = read({**DATA, "cancelled_at": "1970-01-01T12:00:00Z", "effective_at": "1970-01-02T00:00:00Z"})
    assert cancelled.effective_at == datetime(1970, 1, 2, tzinfo=UTC) and cancelled.cleaned == ()


@pytest.mark.attack
def test_access_cannot_end_before_the_cancellation():
    # Issue 23: an effective_at 400 days before cancelled_at sent "access ended" and "data deleted" at once.
    cancelled = read({**DATA, "cancelled_at": "2026-11-24T10:00:00Z", "effective_at": "2025-10-20T10:00:00Z"})
    assert cancelled.effective_at == cancelled.cancelled_at
    assert cancelled.cleaned == ("effective_at:before_cancelled_at_set_to_it",)


@pytest.mark.attack
@pytest.mark.parametrize("given", ["yes", "on", "true", 1, 1.0, "1", [True], {"value": True}])
def test_marketing_consent_is_only_a_json_true(given):
    # Issue 23: "yes", "on" or 1 became consent and scheduled the win-back email.
    cancelled = read({**DATA, "marketing_consent": given})
    assert cancelled.marketing_consent is False
    assert cancelled.cleaned == ("marketing_consent:not_a_boolean_treated_as_false",)
    assert read({**DATA, "marketing_consent": True}).marketing_consent is True
    assert read({**DATA, "marketing_consent": False}).cleaned == ()


def test_plan_and_reason_lose_control_characters_too():
    cancelled = read({**DATA, "plan": "pro\x00-monthly", "reason": "too\r\nexpensive"})
    assert (cancelled.plan, cancelled.reason) == ("pro -monthly", "too expensive")


def test_reactivation_dates_and_ids_follow_the_same_rules():
    good = read(
        {"subscription_id": "s", "customer_id": "c", "reactivated_at": "2026-11-25T00:00:00Z"},
        "subscription.reactivated",
    )
    assert isinstance(good, SubscriptionReactivated)
    with pytest.raises(InvalidMessage) as caught:
        read(
            {"subscription_id": "s", "customer_id": "c", "reactivated_at": "9999-01-01T00:00:00Z"},
            "subscription.reactivated",
        )
    assert "reactivated_at" in caught.value.detail


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "not_json"),
        (b'{"specversion": "1.0", "id": ' + b"1" * 5000 + b"}", "not_json"),
        (
            json.dumps(
                {**{"specversion": "1.0", "source": "s", "type": "t", "time": "2026-11-24T10:00:00Z"}, "id": "e\x00"}
            ).encode(),
            "invalid_envelope",
        ),
        (
            json.dumps(
                {**{"specversion": "1.0", "id": "e", "type": "t", "time": "2026-11-24T10:00:00Z"}, "source": "s\ud800"}
            ).encode(),
            "invalid_envelope",
        ),
        (
            json.dumps(
                {**{"specversion": "1.0", "id": "e", "source": "s", "time": "2026-11-24T10:00:00Z"}, "type": "t\r\n"}
            ).encode(),
            "invalid_envelope",
        ),
        (b"\xff\xfe", "not_utf8"),
    ],
)
def test_unreadable_envelopes_get_a_reason_and_never_an_unexpected_exception(value, reason):
    with pytest.raises(InvalidMessage) as caught:
        parse_kafka_message(value, [])
    assert caught.value.reason == reason


def test_a_binary_mode_header_with_a_control_character_is_refused():
    headers = [
        ("ce_specversion", b"1.0"),
        ("ce_id", b"e\x001"),
        ("ce_source", b"s"),
        ("ce_type", b"t"),
        ("ce_time", b"2026-11-24T10:00:00Z"),
    ]
    with pytest.raises(InvalidMessage) as caught:
        parse_kafka_message(b"{}", headers)
    assert caught.value.reason == "invalid_envelope"


def test_the_cleaned_notes_are_not_part_of_the_stored_facts():
    cancelled = read(with_customer(timezone="America"))
    assert isinstance(cancelled, SubscriptionCancelled)
    assert "cleaned" not in cancelled.model_dump(mode="json")


@settings(max_examples=500, deadline=None)
@given(st.text())
def test_cleaned_text_is_always_plain_and_storable(text):
    for cleaned in (clean_line(text), clean_paragraphs(text)):
        cleaned.encode("utf-8")  # no lone surrogate
        assert "\x00" not in cleaned
    assert is_plain(clean_line(text))
    assert is_plain(clean_paragraphs(text).replace("\n", " "))
