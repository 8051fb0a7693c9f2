"""Every shipped message (each kind, each locale) as a person sees it: rendered by the notifier's own renderer,
opened in headless Chromium at phone (375 px) and desktop (800 px) widths, and at phone width in dark mode
for the confirmation. Screenshots go to .local/screenshots/email-*.png to be looked at; the test checks what
a person would notice first: nothing wider than the screen, the button large enough to tap and fully in view."""

from pathlib import Path

import pytest

from notifier.adapters.context import message_context
from notifier.adapters.rendering import Renderer
from notifier.config import SHIPPED_TEMPLATES, Settings
from shared.testing import chromium

from ..unit.test_email_lint import UNSUBSCRIBE, delivery

pytestmark = pytest.mark.integration
SCREENSHOTS = Path(__file__).resolve().parents[4] / ".local" / "screenshots"
WIDTHS = (375, 800)


def test_every_message_looks_right_on_a_phone_and_a_desktop(tmp_path):
    settings = Settings()
    renderer = Renderer(SHIPPED_TEMPLATES, brand=settings.brand())
    pages = []
    for locale, file in renderer.messages():
        message, _, _ = file.removesuffix(".j2").partition(".")
        segment = "b2b" if ".b2b." in file else "b2c"
        context = message_context(delivery(segment, locale, account_manager="Grace Hopper"), settings)
        rendered = renderer.render(
            message=message, locale=locale, segment=segment, context=context, unsubscribe_url=UNSUBSCRIBE
        )
        page = tmp_path / f"{locale}-{file.removesuffix('.j2').replace('.', '-')}.html"
        page.write_text(rendered.html, encoding="utf-8")
        pages.append(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    seen = {}
    driver = chromium(width=800, height=1200)
    try:
        for width in WIDTHS:
            for page in pages:
                driver.set_window_size(width, 1200)
                driver.get(page.as_uri())
                seen[(page.stem, width)] = driver.execute_script(LOOK)
                driver.set_window_size(width, driver.execute_script(HEIGHT))  # the whole message in one picture
                driver.save_screenshot(str(SCREENSHOTS / f"email-{page.stem}-{width}.png"))
        driver.execute_cdp_cmd(
            "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]}
        )
        driver.set_window_size(375, 1200)
        driver.get(next(p for p in pages if p.stem == "en-cancellation_confirmation").as_uri())
        dark = driver.execute_script("return getComputedStyle(document.querySelector('.card > table')).backgroundColor")
        driver.save_screenshot(str(SCREENSHOTS / "email-en-cancellation_confirmation-375-dark.png"))
    finally:
        driver.quit()
    assert len(seen) == 2 * len(pages) >= 2 * 28
    for (page, width), look in seen.items():
        assert look["viewport"] <= width, (page, width, look)
        assert look["overflow"] <= 0, f"{page} at {width} px is wider than the screen: {look}"
        assert look["button_height"] >= 40, f"{page} at {width} px: the button is too small to tap: {look}"
        assert 0 < look["button_right"] <= look["viewport"], f"{page} at {width} px: the button is cut: {look}"
    assert dark == "rgb(27, 32, 39)", "dark mode darkens the card"


HEIGHT = "return document.documentElement.scrollHeight + (window.outerHeight - window.innerHeight)"
# What a person notices first, measured in the page: horizontal overflow and the primary button's box.
LOOK = """
const button = document.querySelector('td[bgcolor] > a');
const box = button ? button.getBoundingClientRect() : {height: 0, right: 0};
return {
  viewport: window.innerWidth,
  overflow: document.documentElement.scrollWidth - window.innerWidth,
  button_height: box.height,
  button_right: box.right,
};
"""
