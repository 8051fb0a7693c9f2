"""Links built, not concatenated (issue 23: a subscription id of `sub_x&next=https://evil.test/#` added a
parameter to the company's account link). Every link of every message, in every locale and segment variant,
with hostile ids: each keeps its host, its path and its parameters, and the id comes back whole from the one
parameter it belongs in."""

import re
from html import unescape
from types import SimpleNamespace
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from notifier.adapters.context import message_context
from notifier.adapters.rendering import Renderer
from notifier.config import SHIPPED_TEMPLATES, Settings
from shared import links

pytestmark = pytest.mark.attack

HOSTILE_IDS = [
    "sub_x&next=https://evil.test/#",
    "sub/../../admin?x=1",
    "sub with spaces+plus%2F",
    "sub_ünïcödé_→_😀",
    'sub"><script>alert(1)</script>',
    "sub#fragment",
]
SETTINGS = Settings(
    export_url="https://app.acme.example/account/export?subscription={subscription_id}&src=email",
    reactivate_url="https://app.acme.example/account/{subscription_id}/reactivate",  # in the path, too
)
RENDERER = Renderer(SHIPPED_TEMPLATES, brand=SETTINGS.brand())
URL = re.compile(r"https?://[^\s\"'<>]+")
HREF = re.compile(r'href="([^"]*)"')


def rendered(file: str, locale: str, subscription_id: str):
    message, _, _ = file.removesuffix(".j2").partition(".")
    segment = "b2b" if ".b2b." in file else "b2c"
    delivery = SimpleNamespace(
        segment=segment,
        subscription_id=subscription_id,
        recipient={"name": "Ada", "locale": locale, "timezone": "Europe/Berlin"},
        facts={"plan": "Pro", "effective_at": "2026-12-23T23:30:00+00:00", "survey_url": "https://s.example/s/t"},
    )
    context = message_context(delivery, SETTINGS)
    return RENDERER.render(
        message=message, locale=locale, segment=segment, context=context, unsubscribe_url="https://n.example/u/t"
    )


@pytest.mark.parametrize("subscription_id", HOSTILE_IDS)
@pytest.mark.parametrize(("locale", "file"), RENDERER.messages())
def test_every_link_of_every_message_keeps_a_hostile_id_inside_its_parameter(locale, file, subscription_id):
    message = rendered(file, locale, subscription_id)
    found = [unescape(u) for u in HREF.findall(message.html) if not u.startswith("mailto:")] + URL.findall(message.text)
    assert found, "the message has links"
    for url in found:
        parts = urlsplit(url)
        assert parts.hostname and parts.hostname.endswith(".example"), url
        assert "<script" not in url.lower() and " " not in url, url
        assert not parts.fragment, f"no id may add a fragment: {url}"
        if "/account/export" in parts.path:
            assert parse_qs(parts.query) == {"subscription": [subscription_id], "src": ["email"]}, url
        if parts.path.endswith("/reactivate"):
            segments = parts.path.split("/")
            assert len(segments) == 4 and unquote(segments[2]) == subscription_id, url


def test_a_link_template_is_checked_when_the_settings_are_read():
    assert links.check_template("https://a.example/x?s={subscription_id}", allowed={"subscription_id"})
    for bad in (
        "https://a.example/x?s={customer_email}",  # not a placeholder a message may fill
        "https://a.example/x?s={subscription_id!r}",
        "https://a.example/x?s={subscription_id:>20}",
        "javascript:alert({subscription_id})",
        "https://a.example/x?s={",
    ):
        with pytest.raises(ValueError):
            links.check_template(bad, allowed={"subscription_id"})
    with pytest.raises(ValueError):
        Settings(export_url="ftp://files.example/{subscription_id}")
