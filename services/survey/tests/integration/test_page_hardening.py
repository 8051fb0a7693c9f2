"""The survey pages hardened (issue 23's probe found no Content-Security-Policy, no frame-ancestors, no
Referrer-Policy, no `Cache-Control: no-store`, and a cross-site post to the form taken): every page and error
page says what the browser may do, and a post from another site is refused before anything is stored. The
browser part runs in headless Chromium: another site's page frames the survey and posts to it."""

import asyncio
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import sqlalchemy as sa
import uvicorn

from shared.testing import chromium, free_port, wait_until
from survey.adapters.tables import answers
from survey.bootstrap import bootstrap

from .conftest import Orchestrator, client, running

pytestmark = [pytest.mark.integration, pytest.mark.attack]
SCREENSHOTS = Path(__file__).resolve().parents[4] / ".local" / "screenshots"
ANSWER = {"reason": "too_expensive", "score": "3"}


def hardened(response) -> None:
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "script-src" not in csp, csp
    assert "form-action 'self'" in csp and "'unsafe-inline'" not in csp
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-frame-options"] == "DENY" and response.headers["x-content-type-options"] == "nosniff"


async def test_every_page_and_error_page_is_hardened_and_a_cross_site_post_is_refused(settings_for):
    settings = settings_for()
    async with running(bootstrap(settings)) as survey, Orchestrator(settings) as orchestrator:
        command_id, command = await orchestrator.create_survey()
        path = (await orchestrator.survey_url(command_id)).removeprefix("http://survey.test")
        async with client(survey) as http:
            pages = [
                await http.get(path),
                await http.get("/s/not-a-token"),  # 404 page
                await http.get("/s/%00%ff"),  # refused input (a control character): its error page
                await http.post(path, data={"reason": "nonsense"}),  # 422 form with errors
            ]
            foreign = await http.post(path, data=ANSWER, headers={"Origin": "https://evil.test"})
            sibling = await http.post(path, data=ANSWER, headers={"Sec-Fetch-Site": "same-site"})
            null = await http.post(path, data=ANSWER, headers={"Origin": "null"})
            stored_before = await _answers(survey, command.journey_id)
            own = await http.post(
                path, data=ANSWER, headers={"Origin": "http://survey.test", "Sec-Fetch-Site": "same-origin"}
            )
    assert [p.status_code for p in pages] == [200, 404, 400, 422]
    for response in [*pages, foreign, sibling, null, own]:
        hardened(response)
    assert (foreign.status_code, sibling.status_code, null.status_code) == (403, 403, 403)
    assert "was not sent from our page" in foreign.text
    assert stored_before == 0, "nothing refused was stored"
    assert own.status_code == 200 and await _answers(survey, command.journey_id) == 1


async def _answers(survey, journey_id: str) -> int:
    async with survey.sessions() as session:
        return await session.scalar(sa.select(sa.func.count()).where(answers.c.journey_id == journey_id))


class AttackerSite:
    """Another origin's pages: one frames the survey, one posts an answer to it as soon as it loads."""

    def __init__(self, survey_url: str) -> None:
        pages = {
            "/frame": f'<!doctype html><title>Win a prize</title><iframe id="f" src="{survey_url}"></iframe>',
            "/post": (
                f'<!doctype html><title>Loading</title><form id="f" method="post" action="{survey_url}">'
                '<input name="reason" value="too_expensive"><input name="score" value="0"></form>'
                "<script>document.getElementById('f').submit()</script>"
            ),
        }

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                body = pages.get(self.path, "").encode()
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


def attack_in_chromium(attacker: AttackerSite, survey_url: str) -> dict:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver = chromium(width=800, height=900)
    seen = {}
    try:
        driver.get(survey_url)  # the page itself, as the customer opens it: styled, and no policy complaint
        seen["own_console"] = [e["message"] for e in driver.get_log("browser")]
        seen["own_styled"] = driver.execute_script(
            "return getComputedStyle(document.querySelector('main')).borderTopStyle"
        )
        driver.save_screenshot(str(SCREENSHOTS / "survey-hardened-own.png"))
        driver.get(attacker.url + "/frame")
        driver.switch_to.frame(driver.find_element(By.ID, "f"))
        seen["framed_url"] = driver.execute_script("return document.URL")
        seen["framed_form"] = len(driver.find_elements(By.TAG_NAME, "form"))
        driver.switch_to.default_content()
        driver.save_screenshot(str(SCREENSHOTS / "survey-hardened-framed.png"))
        driver.get(attacker.url + "/post")  # submits itself: the browser lands on the survey's answer
        WebDriverWait(driver, 20).until(lambda d: d.current_url == survey_url)
        seen["posted_heading"] = driver.find_element(By.TAG_NAME, "h1").text
        driver.save_screenshot(str(SCREENSHOTS / "survey-hardened-cross-site-post.png"))
        return seen
    finally:
        driver.quit()


async def test_in_chromium_another_site_can_neither_frame_the_survey_nor_answer_it(settings_for):
    port = free_port()
    settings = settings_for(public_url=f"http://127.0.0.1:{port}")
    async with running(bootstrap(settings)) as survey, Orchestrator(settings) as orchestrator:
        server = uvicorn.Server(uvicorn.Config(survey.http_app, host="127.0.0.1", port=port, log_config=None))
        serving = asyncio.create_task(server.serve())
        attacker = None
        try:
            await wait_until(lambda: _started(server))
            command_id, command = await orchestrator.create_survey()
            url = await orchestrator.survey_url(command_id)
            attacker = AttackerSite(url)
            seen = await asyncio.to_thread(attack_in_chromium, attacker, url)
        finally:
            if attacker:
                attacker.close()
            server.should_exit = True
            await serving
        stored = await _answers(survey, command.journey_id)
    assert not [m for m in seen["own_console"] if "Content Security Policy" in m], seen["own_console"]
    assert seen["own_styled"] == "solid", "the page's own styles apply under the policy"
    assert seen["framed_form"] == 0 and not seen["framed_url"].startswith("http://127.0.0.1:" + str(port))
    assert seen["posted_heading"] == "This form was not sent from our page"
    assert stored == 0


async def _started(server: uvicorn.Server) -> bool:
    return server.started
