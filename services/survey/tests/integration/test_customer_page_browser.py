"""The customer's own page in headless Chromium, in each of its states (active, survey answered, help requested,
paused, access ended, reactivated, erased), in English and German, on a phone (375 px) and a desktop (1280 px),
light and dark: a customer asks for help and answers the survey on a phone without JavaScript; axe finds no
violation; nothing scrolls sideways. Screenshots go to .local/screenshots/page-*.png."""

import asyncio
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import uvicorn

from shared.events.commands import ErasePersonalData
from shared.testing import accessibility_violations, chromium, free_port, navigate, wait_until
from survey.adapters.tables import customer_pages
from survey.bootstrap import bootstrap
from survey.service_layer.customer_pages import token_hash

from .conftest import Orchestrator, running
from .test_customer_page import page_of, page_update

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[4]
SCREENSHOTS = ROOT / ".local" / "screenshots"
AXE = ROOT / ".local" / "npm" / "node_modules" / "axe-core" / "axe.min.js"


def look(driver, name: str, width: int, *, dark: bool = False) -> dict:
    """Screenshot the whole page at `width` (light or dark); what axe finds and how far it scrolls sideways."""
    scheme = "dark" if dark else "light"
    driver.execute_cdp_cmd(
        "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": scheme}]}
    )
    driver.set_window_size(width, 1400)
    height = driver.execute_script(
        "return document.documentElement.scrollHeight + window.outerHeight - window.innerHeight"
    )
    driver.set_window_size(width, height)
    driver.save_screenshot(str(SCREENSHOTS / f"page-{name}-{width}-{scheme}.png"))
    return {
        "sideways": driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth"),
        "axe": [v["id"] for v in accessibility_violations(driver, AXE.read_text())],
    }


def visit(pages: dict[str, str], base: str) -> dict:
    from selenium.webdriver.common.by import By

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver = chromium(width=375, height=1400)
    seen: dict = {}
    try:
        for state, token in pages.items():
            for lang in ("en", "de"):
                driver.get(f"{base}/p/{token}?lang={lang}")
                seen[(state, lang)] = {"heading": driver.find_element(By.TAG_NAME, "h1").text}
                for width in (375, 1280):
                    for dark in (False, True):
                        seen[(state, lang, width, dark)] = look(driver, f"{state}-{lang}", width, dark=dark)
        # On a phone, without JavaScript: ask for help, then answer the survey inline.
        driver.set_window_size(375, 1400)
        driver.get(f"{base}/p/{pages['active']}")
        driver.find_element(By.XPATH, "//select[@id='help-topic']/option[@value='data_export']").click()
        driver.find_element(By.ID, "help-message").send_keys("Where is my export? <b>Thanks</b>")
        navigate(driver, driver.find_element(By.XPATH, "//section[@id='help']//button[@type='submit']"))
        seen["help_sent"] = driver.find_element(By.CSS_SELECTOR, "#help .done").text
        seen[("help_requested", "en", 375, False)] = look(driver, "help-requested-en", 375)
        driver.get(f"{base}/p/{pages['active']}?lang=de")
        seen[("help_requested", "de", 375, False)] = look(driver, "help-requested-de", 375)
        driver.get(f"{base}/p/{pages['active']}?lang=en")
        driver.find_element(By.XPATH, "//label[contains(., 'It is too expensive')]").click()
        driver.find_element(By.XPATH, "//fieldset[legend[@id='score']]//label[normalize-space()='7']").click()
        navigate(driver, driver.find_element(By.XPATH, "//section[@id='survey']//button[@type='submit']"))
        seen["survey_done"] = driver.find_element(By.CSS_SELECTOR, "#survey p").text
        for width in (375, 1280):
            seen[("survey_answered", "en", width, False)] = look(driver, "survey-answered-en", width)
        driver.get(f"{base}/p/{pages['active']}?lang=de")
        seen[("survey_answered", "de", 375, False)] = look(driver, "survey-answered-de", 375)
        # The contact preference: yes, saved, shown at once.
        driver.get(f"{base}/p/{pages['active']}?lang=en")
        driver.find_element(By.XPATH, "//section[@id='contact']//input[@value='yes']").click()
        navigate(driver, driver.find_element(By.XPATH, "//section[@id='contact']//button[@type='submit']"))
        seen["contact_saved"] = driver.find_element(By.CSS_SELECTOR, "#contact .done").text
        seen["contact_now"] = driver.find_element(By.CSS_SELECTOR, "#contact .done + p").text
        seen[("contact_saved", "en", 375, False)] = look(driver, "contact-saved-en", 375)
        return seen
    finally:
        driver.quit()


async def test_the_customer_page_in_every_state_in_chromium(settings_for):
    assert AXE.exists(), "axe-core is installed by `make test` (npm)"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = settings_for(public_url=base, hand_over_call_url="https://calendar.acme.example/book")
    now = datetime.now(UTC)
    async with running(bootstrap(settings)) as survey, Orchestrator(settings) as orchestrator:
        command_id, created = await orchestrator.create_survey(segment="b2b")
        await orchestrator.survey_url(command_id)
        states = {
            "active": {"journey_id": created.journey_id, "subscription_id": created.subscription_id},
            "paused": {"status": "paused"},
            "access-ended": {"effective_at": now - timedelta(days=3), "segment": "b2c", "sealed_account_manager": None},
            "reactivated": {"status": "cancelled", "reactivated_at": now - timedelta(hours=2)},
            "erased": {"effective_at": now - timedelta(days=30), "deletion_at": now - timedelta(days=1)},
        }
        pages = {}
        for state, changes in states.items():
            journey_id, token = changes.pop("journey_id", str(uuid.uuid4())), secrets.token_urlsafe(16)
            keys = await orchestrator.keys(journey_id)
            await orchestrator.send(str(uuid.uuid4()), page_update(journey_id, token, keys, **changes))
            await wait_until(lambda j=journey_id: page_of(survey, j))
            pages[state] = token
        erased_id = (await page_of_token(survey, pages["erased"])).journey_id
        await orchestrator.erase_keys(erased_id)
        await orchestrator.send(str(uuid.uuid4()), _erasure(erased_id))

        async def erased():
            return (await page_of(survey, erased_id)).erased_at is not None

        await wait_until(erased)
        server = uvicorn.Server(uvicorn.Config(survey.http_app, host="127.0.0.1", port=port, log_config=None))
        serving = asyncio.create_task(server.serve())
        try:
            await wait_until(lambda: _started(server))
            seen = await asyncio.to_thread(visit, pages, base)
        finally:
            server.should_exit = True
            await serving
    headings = {key[0]: seen[key]["heading"] for key in seen if isinstance(key, tuple) and len(key) == 2}
    assert headings == {
        "active": "Ihr Pro-Abonnement ist gekündigt",
        "paused": "Ihr Pro-Abonnement ist gekündigt",
        "access-ended": "Ihr Zugang zu Pro ist beendet",
        "reactivated": "Willkommen zurück",
        "erased": "Ihre personenbezogenen Daten wurden gelöscht",
    }, "the German page (the last one looked at per state)"
    looks = {key: value for key, value in seen.items() if isinstance(key, tuple) and len(key) == 4}
    assert len(looks) == 5 * 2 * 2 * 2 + 6
    assert {key: v["axe"] for key, v in looks.items() if v["axe"]} == {}, "WCAG: axe finds nothing"
    assert {key: v["sideways"] for key, v in looks.items() if v["sideways"]} == {}, "nothing scrolls sideways"
    assert "We got your request" in seen["help_sent"] and "My data and its export" in seen["help_sent"]
    assert seen["survey_done"] == "Thank you: your answer has reached us."
    assert seen["contact_saved"].startswith("Your choice is saved")
    assert "now and then we may email you an offer" in seen["contact_now"]


async def page_of_token(survey, token: str):
    async with survey.sessions() as session:
        query = sa.select(customer_pages).where(customer_pages.c.token_hash == token_hash(token))
        return (await session.execute(query)).first()


def _erasure(journey_id: str) -> ErasePersonalData:
    return ErasePersonalData(
        journey_id=journey_id, subscription_id=f"sub_{journey_id[:8]}", customer_id=f"cus_{journey_id[:8]}"
    )


async def _started(server: uvicorn.Server) -> bool:
    return server.started
