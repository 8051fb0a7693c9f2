"""Every shipped message, each locale and segment variant, as a mail client gets it: the HTML passes a basic
email-client lint (nothing fetched or run, images with alt text, nothing wider than the 600 px column, lang and
dir, a preheader), the button and the secondary link lead where that message promises, the footer says who
we are, and a marketing message (and only it) carries the unsubscribe link."""

import re
from types import SimpleNamespace

import pytest

from notifier.adapters.context import message_context
from notifier.adapters.rendering import Renderer
from notifier.config import SHIPPED_TEMPLATES, Settings

SETTINGS = Settings(brand_logo_url="https://cdn.acme.example/logo.png", brand_company="Acme Software GmbH")
RENDERER = Renderer(SHIPPED_TEMPLATES, brand=SETTINGS.brand())
UNSUBSCRIBE = "https://notifier.acme.example/u/tok"
LINKS = {
    "export": "https://app.acme.example/account/export?subscription=sub_1",
    "reactivate": "https://app.acme.example/account/reactivate?subscription=sub_1",
    "payment": "https://app.acme.example/account/billing?subscription=sub_1",
    "survey": "https://survey.acme.example/s/tok",
    "app": "https://app.acme.example/",
    "privacy": "https://acme.example/privacy",
}
# message -> (the button's target, the secondary link's target or None)
ACTIONS = {
    "cancellation_confirmation": ("export", "reactivate"),
    "thank_you": ("export", None),
    "exit_survey_invitation": ("survey", None),
    "exit_survey_reminder": ("survey", None),
    "data_export_help": ("export", None),
    "access_ending_reminder": ("export", "reactivate"),
    "access_ended": ("reactivate", None),
    "data_deletion_notice": ("privacy", None),
    "payment_failed_cancellation": ("payment", "export"),
    "payment_update": ("payment", None),
    "payment_update_reminder": ("payment", "export"),
    "welcome_back": ("app", None),
    "help_received": ("app", None),  # the customer's page when the journey has one (these deliveries have none)
    "win_back_offer": ("reactivate", None),
}
BUTTON = re.compile(r'bgcolor="#[0-9a-f]{6}" role="presentation"[^>]*><a href="([^"]+)"')
SECONDARY = re.compile(r'<a class="secondary" href="([^"]+)"')


def delivery(segment: str, locale: str, **recipient) -> SimpleNamespace:
    """A delivery as the notifier holds it: Ada in Berlin, access until the night of the 23rd (UTC)."""
    return SimpleNamespace(
        segment=segment,
        subscription_id="sub_1",
        recipient={"name": "Ada Lovelace", "company": "Engines Ltd", "locale": locale, "timezone": "Europe/Berlin"}
        | recipient,
        facts={
            "plan": "Pro",
            "cancelled_at": "2026-11-24T10:00:00+00:00",
            "effective_at": "2026-12-23T23:30:00+00:00",
            "deletion_at": "2027-01-22T23:30:00+00:00",
            "survey_url": LINKS["survey"],
        },
    )


def render(locale: str, file: str):
    message, _, _ = file.removesuffix(".j2").partition(".")
    segment = "b2b" if ".b2b." in file else "b2c"
    context = message_context(delivery(segment, locale), SETTINGS)
    return message, RENDERER.render(
        message=message, locale=locale, segment=segment, context=context, unsubscribe_url=UNSUBSCRIBE
    )


@pytest.mark.parametrize(("locale", "file"), RENDERER.messages())
def test_every_message_passes_the_email_client_lint(locale, file):
    _, rendered = render(locale, file)
    html = rendered.html
    assert "<script" not in html.lower() and "<link" not in html.lower() and "@import" not in html
    assert not re.search(r"url\(", html), "no CSS fetches anything"
    images = re.findall(r"<img\b[^>]*>", html)
    assert images and all(re.search(r'alt="[^"]+"', img) for img in images), "the logo has its alt text"
    widths = [int(w) for w in re.findall(r'width="(\d+)"', html)]
    widths += [int(w) for w in re.findall(r"[;\"]width:(\d+)px", html)]
    assert widths and max(widths) <= 600, "nothing wider than the column"
    assert f'<html lang="{locale}" dir="ltr"' in html
    assert max(len(line.encode()) for line in html.splitlines()) <= 998, "8bit-safe lines, no quoted-printable"
    assert 'name="color-scheme" content="light dark"' in html and "prefers-color-scheme: dark" in html
    preheader = re.search(r'<div style="display:none;[^"]*">([^<]+)</div>', html)
    assert preheader and len(preheader.group(1).strip()) > 20, "the inbox shows a preview line"
    assert "Acme Software GmbH" in html and "1 Example Street, 10115 Berlin, Germany" in html
    assert 'href="mailto:support@acme.example"' in html and f'href="{LINKS["privacy"]}"' in html
    assert "{{" not in html + rendered.text and "None" not in html + rendered.text


@pytest.mark.parametrize(("locale", "file"), RENDERER.messages())
def test_the_button_and_the_secondary_link_lead_where_the_message_says(locale, file):
    message, rendered = render(locale, file)
    button, secondary = ACTIONS[message]
    assert BUTTON.findall(rendered.html) == [LINKS[button]], "one primary button"
    assert SECONDARY.findall(rendered.html) == ([LINKS[secondary]] if secondary else []), "at most one secondary"
    for url in re.findall(r'href="([^"]+)"', rendered.html):
        assert url.removeprefix("mailto:") in rendered.text, "the plain-text part has every link too"


@pytest.mark.parametrize(("locale", "file"), RENDERER.messages())
def test_only_marketing_carries_the_unsubscribe_link(locale, file):
    _, rendered = render(locale, file)
    marketing = rendered.category == "marketing"
    assert (f'href="{UNSUBSCRIBE}"' in rendered.html) is marketing
    assert (UNSUBSCRIBE in rendered.text) is marketing


@pytest.mark.parametrize("locale", ["en", "de"])
def test_the_key_dates_are_in_the_customers_zone_and_language(locale):
    _, rendered = render(locale, "cancellation_confirmation.j2")
    facts = re.search(r'class="facts"[^>]*>(.*?)</table>', rendered.html, re.S)
    assert facts, "the key-facts box"
    # 23:30 UTC on the 23rd is 00:30 on the 24th in Berlin
    expected = {"en": "24 December 2026, 00:30 (CET)", "de": "24. Dezember 2026, 00:30 (CET)"}[locale]
    deleted = {"en": "23 January 2027", "de": "23. Januar 2027"}[locale]
    assert expected in facts.group(1) and deleted in facts.group(1)
    assert expected in rendered.text and deleted in rendered.text


def test_without_a_logo_the_brand_name_is_the_header_and_a_right_to_left_locale_is_marked():
    plain = Renderer(SHIPPED_TEMPLATES, brand=Settings().brand())
    context = message_context(delivery("b2c", "ar"), Settings())
    rendered = plain.render(message="thank_you", locale="ar", segment="b2c", context=context)
    assert "<img" not in rendered.html and ">Acme</div>" in rendered.html
    assert rendered.locale == "en", "no Arabic messages ship: English, left to right"
    assert 'dir="ltr"' in rendered.html


def test_the_b2b_confirmation_names_the_account_manager_when_billing_did():
    context = message_context(delivery("b2b", "en", account_manager="Grace Hopper"), SETTINGS)
    rendered = RENDERER.render(message="cancellation_confirmation", locale="en", segment="b2b", context=context)
    assert "Grace Hopper, your account manager, will be in touch" in rendered.text
    assert "Grace Hopper, your account manager" in rendered.html


def test_a_hostile_account_manager_name_is_text():
    context = message_context(delivery("b2b", "de", account_manager='<img src=x onerror="a()">'), SETTINGS)
    rendered = RENDERER.render(message="cancellation_confirmation", locale="de", segment="b2b", context=context)
    assert "<img src=x" not in rendered.html and "&lt;img src=x" in rendered.html
