"""Every shipped message renders in every locale: subject, text and HTML, links present, nothing unrendered."""

import re
from datetime import UTC, datetime

import pytest

from notifier.adapters.rendering import Renderer, RenderError, format_date, format_time
from notifier.config import SHIPPED_TEMPLATES, Settings

RENDERER = Renderer(SHIPPED_TEMPLATES, brand=Settings().brand())
CONTEXT = {
    "brand": "Acme",
    "support_email": "support@acme.example",
    "name": "Ada Lovelace",
    "company": "Engines Ltd",
    "segment": "b2c",
    "plan": "Pro",
    "effective_date": "24 December 2026",
    "effective_time": "00:00 (CET)",
    "cancelled_date": "24 November 2026",
    "cancelled_time": "11:00 (CET)",
    "deletion_date": "23 January 2027",
    "account_manager": None,
    "export_url": "https://app.acme.example/export?subscription=sub_1",
    "reactivate_url": "https://app.acme.example/reactivate?subscription=sub_1",
    "payment_update_url": "https://app.acme.example/billing?subscription=sub_1",
    "survey_url": "https://survey.acme.example/s/tok",
    "app_url": "https://app.acme.example/",
    "privacy_url": "https://acme.example/privacy",
    "page_url": None,
    "help_topic": "billing",
    "help_reach_by": "email",
}
SHIPPED = RENDERER.messages()


def test_both_locales_ship_the_same_messages():
    en = {name for locale, name in SHIPPED if locale == "en"}
    de = {name for locale, name in SHIPPED if locale == "de"}
    assert en == de and len(en) >= 14


@pytest.mark.parametrize(("locale", "name"), SHIPPED)
def test_every_message_renders_completely(locale, name):
    message, _, _ = name.removesuffix(".j2").partition(".")
    segment = "b2b" if ".b2b." in name else "b2c"
    rendered = RENDERER.render(
        message=message, locale=locale, segment=segment, context=CONTEXT, unsubscribe_url="https://n.acme.example/u/t0k"
    )
    assert rendered.locale == locale and rendered.subject.strip()
    for part in (rendered.subject, rendered.text, rendered.html):
        assert "{{" not in part and "{%" not in part and "None" not in part
    links = re.findall(r'href="([^"]+)"', rendered.html)
    assert links, "every message points somewhere"
    for url in links:
        assert url.removeprefix("mailto:") in rendered.text, "the plain-text part carries the same links"
    assert rendered.html.startswith("<!doctype html>") and f'lang="{locale}"' in rendered.html
    if rendered.category == "marketing":
        assert "https://n.acme.example/u/t0k" in rendered.text and "https://n.acme.example/u/t0k" in rendered.html


def test_the_confirmation_says_what_ends_when_how_to_export_and_come_back():
    rendered = RENDERER.render(message="cancellation_confirmation", locale="en", segment="b2c", context=CONTEXT)
    assert "24 December 2026" in rendered.subject
    assert CONTEXT["export_url"] in rendered.text and CONTEXT["reactivate_url"] in rendered.text
    assert "Hello Ada Lovelace," in rendered.text


def test_the_b2b_variant_addresses_the_account():
    rendered = RENDERER.render(message="cancellation_confirmation", locale="de", segment="b2b", context=CONTEXT)
    assert rendered.subject.startswith("Engines Ltd:") and "Ihre Ansprechperson bei uns meldet sich" in rendered.text
    named = RENDERER.render(
        message="cancellation_confirmation", locale="en", segment="b2b", context={**CONTEXT, "account_manager": "Grace"}
    )
    assert "Grace, your account manager, will be in touch" in named.text and "Grace, your account manager" in named.html


def test_values_are_escaped_in_html_and_cannot_make_links():
    hostile = {**CONTEXT, "name": "<script>alert(1)</script> [Reset your password](https://evil.example)\n\nSecond"}
    rendered = RENDERER.render(message="welcome_back", locale="en", segment="b2c", context=hostile)
    assert "<script>" not in rendered.html and "&lt;script&gt;" in rendered.html
    assert "evil.example" not in re.findall(r'href="([^"]+)"', rendered.html).__str__()
    assert "Reset your password: https://evil.example" not in rendered.text


def test_marketing_messages_are_tagged_and_others_transactional():
    assert RENDERER.category_of("win_back_offer", "de", "b2c") == "marketing"
    assert RENDERER.category_of("access_ended", "en", "b2b") == "transactional"


def test_missing_variable_or_template_fails_clearly_and_unknown_locale_falls_back():
    without_survey = {k: v for k, v in CONTEXT.items() if k != "survey_url"}
    with pytest.raises(RenderError, match="'survey_url' is undefined"):
        RENDERER.render(message="exit_survey_invitation", locale="en", segment="b2c", context=without_survey)
    with pytest.raises(RenderError, match="no template for message 'nope'"):
        RENDERER.render(message="nope", locale="en", segment="b2c", context=CONTEXT)
    assert RENDERER.render(message="thank_you", locale="fr-FR", segment="b2c", context=CONTEXT).locale == "en"
    assert RENDERER.render(message="thank_you", locale="de-AT", segment="b2c", context=CONTEXT).locale == "de"


def test_dates_are_shown_in_the_customers_time_zone_and_language():
    moment = datetime(2026, 12, 23, 23, 30, tzinfo=UTC)
    assert format_date(moment, "Europe/Berlin", "de") == "24. Dezember 2026"
    assert format_date(moment, "America/New_York", "en") == "23 December 2026"
    assert format_time(moment, "Europe/Berlin") == "00:30 (CET)"
    assert format_date(moment, "Not/AZone", "en") == "23 December 2026", "an unknown zone falls back to UTC"
