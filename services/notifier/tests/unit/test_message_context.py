"""Every shipped email renders with the context the sender really builds from a command (not a hand-made one)."""

from types import SimpleNamespace

import pytest

from notifier.adapters.context import message_context
from notifier.adapters.rendering import Renderer
from notifier.config import SHIPPED_TEMPLATES, Settings

RENDERER = Renderer(SHIPPED_TEMPLATES, brand=Settings().brand())
SETTINGS = Settings()


def delivery(message: str, locale: str, segment: str) -> SimpleNamespace:
    return SimpleNamespace(
        message=message,
        segment=segment,
        subscription_id="sub_1",
        journey_id="j1",
        step=message,
        recipient={
            "email": "ada@example.com",
            "name": "Ada",
            "company": "Engines Ltd" if segment == "b2b" else None,
            "locale": locale,
            "timezone": "Europe/Berlin",
        },
        facts={
            "plan": "pro-monthly",
            "effective_at": "2026-12-24T00:00:00+00:00",
            "cancelled_at": "2026-11-24T10:00:00+00:00",
            "survey_url": "https://survey.acme.example/s/t",
        },
    )


@pytest.mark.parametrize(("locale", "name"), RENDERER.messages())
def test_the_senders_context_renders_every_shipped_message(locale, name):
    message = name.removesuffix(".j2").split(".")[0]
    segment = "b2b" if ".b2b." in name else "b2c"
    row = delivery(message, locale, segment)
    rendered = RENDERER.render(
        message=message,
        locale=locale,
        segment=segment,
        context=message_context(row, SETTINGS),
        unsubscribe_url="https://n.example/u/t",
    )
    assert rendered.subject and "{{" not in rendered.text
