"""The customer's page: its states and dates (pure rules), the help form's checks, and the page as rendered for
each state, in both languages, with hostile text in every field shown as text."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from shared.brand import BrandSettings
from survey.adapters.customer_page_view import Forms, customer_page
from survey.adapters.page_words import WORDS
from survey.domain.customer_page import (
    HELP_MESSAGE_LIMIT,
    HelpRequestInvalid,
    Journey,
    help_request,
    marketing_choice,
    outlook,
    valid_until,
)

NOW = datetime(2026, 12, 12, 23, 30, tzinfo=UTC)  # 13 December already in Berlin
JOURNEY = Journey(
    status="active",
    segment="b2c",
    initiated_by="customer",
    timezone="Europe/Berlin",
    cancelled_at=datetime(2026, 11, 24, 10, tzinfo=UTC),
    effective_at=datetime(2026, 12, 24, 23, 0, tzinfo=UTC),  # 25 December in Berlin
    deletion_at=datetime(2027, 1, 23, 23, 0, tzinfo=UTC),
    reactivated_at=None,
    erased_at=None,
    valid_until=datetime(2027, 4, 23, tzinfo=UTC),
)


def test_the_state_is_the_first_that_holds():
    assert outlook(JOURNEY, NOW).state == "active"
    assert outlook(replace(JOURNEY, status="paused"), NOW).state == "paused"
    assert outlook(JOURNEY, JOURNEY.effective_at).state == "access_ended"
    back = replace(JOURNEY, reactivated_at=NOW, status="cancelled")
    assert outlook(back, NOW).state == "reactivated"
    assert outlook(replace(back, erased_at=NOW), NOW).state == "erased", "erasure outranks the reactivation"
    assert outlook(JOURNEY, JOURNEY.valid_until).state == "expired"


def test_days_are_counted_in_the_customers_time_zone():
    seen = outlook(JOURNEY, NOW)
    assert seen.today.isoformat() == "2026-12-13", "23:30 UTC is already tomorrow in Berlin"
    assert seen.access_days == 12, "25 December in Berlin"
    assert seen.deletion_days == 42, "24 January in Berlin"
    unknown = outlook(replace(JOURNEY, timezone="Not/AZone"), NOW)
    assert unknown.today.isoformat() == "2026-12-12", "an unknown zone is UTC"


def test_what_the_page_offers_in_each_state():
    assert outlook(JOURNEY, NOW).offers_help and outlook(JOURNEY, NOW).offers_way_back
    erased = outlook(replace(JOURNEY, erased_at=NOW), NOW)
    assert not erased.offers_help and not erased.offers_way_back, "no new personal data after the erasure"
    back = outlook(replace(JOURNEY, reactivated_at=NOW), NOW)
    assert back.offers_help and not back.offers_way_back


def test_the_page_works_until_long_after_its_last_date():
    later = valid_until(JOURNEY.effective_at, JOURNEY.deletion_at, timedelta(days=90))
    assert later == JOURNEY.deletion_at + timedelta(days=90)
    assert valid_until(JOURNEY.effective_at, None, timedelta(days=1)) == JOURNEY.effective_at + timedelta(days=1)


def test_a_help_request_is_checked_and_cleaned():
    asked = help_request({"topic": "billing", "message": " Refund?\x00\u200b\r\nThanks\x1b[31m ", "reach_by": "email"})
    assert (asked.topic, asked.message, asked.reach_by, asked.phone) == (
        "billing",
        "Refund?\nThanks[31m",
        "email",
        None,
    )
    by_phone = help_request({"topic": "other", "reach_by": "phone", "phone": " +49  30 1234567 "})
    assert by_phone.phone == "+49 30 1234567" and by_phone.message is None
    with pytest.raises(HelpRequestInvalid) as refused:
        help_request({"topic": "<script>", "message": "x" * (HELP_MESSAGE_LIMIT + 1), "reach_by": "fax"})
    assert refused.value.fields == ["topic", "message", "reach_by"]
    with pytest.raises(HelpRequestInvalid) as refused:
        help_request({"topic": "access", "reach_by": "phone", "phone": "call me\r\nBcc: x@evil.example"})
    assert refused.value.fields == ["phone"]


def test_both_languages_have_every_word():
    def keys(words, prefix=""):
        found = set()
        for key, value in words.items():
            found.add(prefix + key)
            if isinstance(value, dict):
                found |= keys(value, f"{prefix}{key}.")
        return found

    assert keys(WORDS["en"]) == keys(WORDS["de"])


HOSTILE = "<img src=x onerror=alert(1)>\"'&{{7*7}}"


def _row(**changes):
    fields = {
        "journey_id": "j-1",
        "subscription_id": "sub_1",
        "segment": "b2b",
        "template": "b2b-voluntary",
        "variant": None,
        "initiated_by": "customer",
        "status": "active",
        "plan": HOSTILE,
        "locale": "de",
        "timezone": "Europe/Berlin",
        "cancelled_at": JOURNEY.cancelled_at,
        "effective_at": JOURNEY.effective_at,
        "deletion_at": JOURNEY.deletion_at,
        "reactivated_at": None,
        "erased_at": None,
        "account_manager": HOSTILE,
        "valid_until": JOURNEY.valid_until,
        "marketing_consent": False,
    }
    return SimpleNamespace(**(fields | changes))


def _render(row, lang, *, survey=None, latest=None, forms=None):
    seen = outlook(
        Journey(
            **{k: getattr(row, k) for k in Journey.__dataclass_fields__}  # the same fields by name
        ),
        NOW,
    )
    return customer_page(
        token="T" * 22,
        page=row,
        outlook=seen,
        lang=lang,
        brand=BrandSettings(brand_name=HOSTILE).brand(),
        hand_over_call="https://calendar.acme.example/book",
        survey=survey,
        latest_help=latest,
        forms=forms or Forms(),
    )


@pytest.mark.parametrize("lang", ["en", "de"])
def test_the_page_in_each_state_shows_its_own_words_and_hostile_text_as_text(lang):
    t = WORDS[lang]
    active = _render(_row(), lang, survey="open")
    assert "in 12 " in active or "in 12 Tagen" in active
    assert "/p/TTTTTTTTTTTTTTTTTTTTTT/go/export" in active and 'id="survey"' in active and 'id="help"' in active
    assert "https://calendar.acme.example/book" in active, "b2b: the hand-over call"
    assert "<img src=x" not in active and "&lt;img src=x onerror=alert(1)&gt;" in active
    assert "{{7*7}}" in active, "template syntax in data stays text"
    paused = _render(_row(status="paused"), lang)
    assert t["lead"]["paused"] in paused
    back = _render(_row(reactivated_at=NOW, status="cancelled"), lang, survey="answered")
    assert t["heading"]["reactivated"] in back and "/go/export" not in back and t["survey_done"] in back
    erased = _render(_row(erased_at=NOW, account_manager=None, status="completed"), lang)
    assert t["heading"]["erased"] in erased and "<form" not in erased and "/go/" not in erased
    latest = SimpleNamespace(topic="billing", reach_by="phone", requested_at=NOW)
    helped = _render(_row(), lang, latest=latest, forms=Forms(done="help"))
    assert t["help_topics"]["billing"] in helped and 'role="status"' in helped


@pytest.mark.parametrize("lang", ["en", "de"])
def test_the_contact_preference_shows_the_journeys_consent_and_offers_the_other(lang):
    t = WORDS[lang]
    without = _render(_row(), lang)
    assert t["contact_no"] in without and t["contact_yes"] not in without
    assert '<input type="radio" name="marketing" value="no" checked>' in without
    agreed = _render(_row(marketing_consent=True), lang, forms=Forms(done="contact"))
    assert t["contact_yes"] in agreed and t["contact_saved"] in agreed
    assert '<input type="radio" name="marketing" value="yes" checked>' in agreed
    refused = _render(_row(), lang, forms=Forms(contact_error=True))
    assert t["contact_error"] in refused and 'role="alert"' in refused
    erased = _render(_row(erased_at=NOW, account_manager=None, status="completed"), lang)
    assert 'id="contact"' not in erased, "after erasure there is nobody to write to"


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ({"marketing": "yes"}, True),
        ({"marketing": "no"}, False),
        ({"marketing": "YES"}, None),
        ({}, None),
        ({"marketing": "yes\r\nBcc: x@evil.example"}, None),
    ],
)
def test_the_contact_form_takes_yes_or_no_and_nothing_else(form, expected):
    assert marketing_choice(form) is expected
