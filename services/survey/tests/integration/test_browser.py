"""The survey page in a real browser (Debian's headless Chromium, driven through chromedriver): a customer
fills it in and submits it without JavaScript; a screenshot goes to .local/screenshots/ (not the repo)."""

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


def fill_and_submit(url: str, screenshot_dir: Path) -> tuple[str, str]:
    from selenium.webdriver.common.by import By

    driver = chromium(width=900, height=1400)
    try:
        driver.get(url)
        screenshot_dir.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(screenshot_dir / "survey-form.png"))
        # Labels are clickable: the way a person (or a screen reader user) picks an option.
        driver.find_element(By.XPATH, "//label[contains(., 'Support did not help me')]").click()
        driver.find_element(By.XPATH, "//fieldset[legend[@id='score']]//label[normalize-space()='4']").click()
        driver.find_element(By.ID, "comment").send_keys("Nobody answered my ticket for a week. <b>Really.</b>")
        driver.find_element(By.XPATH, "//label[contains(., 'You may contact me')]").click()
        navigate(driver, driver.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        driver.save_screenshot(str(screenshot_dir / "survey-thanks.png"))
        return driver.title, driver.find_element(By.TAG_NAME, "h1").text
    finally:
        driver.quit()


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
            title, heading = await asyncio.to_thread(fill_and_submit, url, SCREENSHOTS)
        finally:
            server.should_exit = True
            await serving
        async with survey.sessions() as session:
            stored = (await session.execute(sa.select(answers).where(answers.c.journey_id == command.journey_id))).one()
        (published,) = await orchestrator.answers({command.journey_id})
    assert (title, heading) == ("Thank you", "Thank you")
    assert (stored.reason, stored.score, stored.may_contact) == ("poor_support", 4, True)
    assert stored.comment == "Nobody answered my ticket for a week. <b>Really.</b>"
    assert published["data"]["score"] == 4


async def _started(server: uvicorn.Server) -> bool:
    return server.started
