"""The survey page in a real browser (Debian's headless Chromium, driven through chromedriver): a customer on a
phone (375 px) fills it in and submits it without JavaScript; the form and the thank-you page are looked at on
a phone and a desktop (800 px). Screenshots go to .local/screenshots/survey-*.png (not the repo)."""

import asyncio
import socket
from pathlib import Path

import pytest
import sqlalchemy as sa
import uvicorn

from shared.testing import chromium, navigate, wait_until
from survey.adapters.tables import answers
from survey.bootstrap import bootstrap

from .conftest import Orchestrator, running

pytestmark = pytest.mark.integration
SCREENSHOTS = Path(__file__).resolve().parents[4] / ".local" / "screenshots"


def fill_and_submit(url: str, screenshot_dir: Path) -> dict:
    from selenium.webdriver.common.by import By

    screenshot_dir.mkdir(parents=True, exist_ok=True)
    driver = chromium(width=800, height=1400)
    seen = {}
    try:
        driver.get(url)
        seen["form_800"] = _look(driver, screenshot_dir / "survey-form-800.png", 800)
        seen["form_375"] = _look(driver, screenshot_dir / "survey-form-375.png", 375)
        # Labels are clickable: the way a person (or a screen reader user) picks an option.
        driver.find_element(By.XPATH, "//label[contains(., 'Support did not help me')]").click()
        driver.find_element(By.XPATH, "//fieldset[legend[@id='score']]//label[normalize-space()='4']").click()
        driver.find_element(By.ID, "comment").send_keys("Nobody answered my ticket for a week. <b>Really.</b>")
        driver.find_element(By.XPATH, "//label[contains(., 'You may contact me')]").click()
        navigate(driver, driver.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        seen["thanks_375"] = _look(driver, screenshot_dir / "survey-thanks-375.png", 375)
        seen["thanks_800"] = _look(driver, screenshot_dir / "survey-thanks-800.png", 800)
        seen["title"], seen["heading"] = driver.title, driver.find_element(By.TAG_NAME, "h1").text
        seen["text"] = driver.find_element(By.TAG_NAME, "main").text
        seen["brand"] = driver.find_element(By.CSS_SELECTOR, "header").text
        return seen
    finally:
        driver.quit()


def _look(driver, screenshot: Path, width: int) -> int:
    """Screenshot the whole page at `width`; returns how far it overflows the screen sideways (0: not at all)."""
    driver.set_window_size(width, 1400)
    height = driver.execute_script(
        "return document.documentElement.scrollHeight + window.outerHeight - window.innerHeight"
    )
    driver.set_window_size(width, height)
    driver.save_screenshot(str(screenshot))
    return driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")


async def test_a_customer_fills_in_and_submits_the_survey_in_chromium(settings_for):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = settings_for(public_url=f"http://127.0.0.1:{port}")
    async with running(bootstrap(settings)) as survey, Orchestrator(settings) as orchestrator:
        server = uvicorn.Server(uvicorn.Config(survey.http_app, host="127.0.0.1", port=port, log_config=None))
        serving = asyncio.create_task(server.serve())
        try:
            await wait_until(lambda: _started(server))
            command_id, command = await orchestrator.create_survey()
            url = await orchestrator.survey_url(command_id)
            seen = await asyncio.to_thread(fill_and_submit, url, SCREENSHOTS)
        finally:
            server.should_exit = True
            await serving
        async with survey.sessions() as session:
            stored = (await session.execute(sa.select(answers).where(answers.c.journey_id == command.journey_id))).one()
        (published,) = await orchestrator.answers({command.journey_id})
    assert (seen["title"], seen["heading"], seen["brand"]) == ("Thank you · Acme", "Thank you", "Acme")
    assert "a person from our team will write to you" in seen["text"], "they allowed contact: say what comes"
    assert [seen[k] for k in ("form_800", "form_375", "thanks_375", "thanks_800")] == [0, 0, 0, 0], "no sideways scroll"
    assert (stored.reason, stored.score, stored.may_contact) == ("poor_support", 4, True)
    assert stored.comment == "Nobody answered my ticket for a week. <b>Really.</b>"
    assert published["data"]["score"] == 4


async def _started(server: uvicorn.Server) -> bool:
    return server.started
