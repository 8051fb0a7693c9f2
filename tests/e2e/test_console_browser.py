"""The support console in headless Chromium, every service its own process: an operator signs in, finds a
customer by email, opens the journey, pauses and resumes it, reveals the customer, previews a message and a
whole journey, reads the attention list (with a customer whose confirmation bounced), the insights (with the daily
bounce and complaint charts) and resumes marketing mail the reputation guard paused, an experiment and the audit;
a viewer sees no buttons; German
is German. Every page passes axe-core's accessibility checks; screenshots of each go to
.local/screenshots/console-*.png."""

import asyncio
import re

import aiosmtplib
import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from shared.testing import accessibility_violations, chromium, free_port, navigate, wait_until

from .system import ROOT, Billing, converge, mail

pytestmark = pytest.mark.integration
SCREENSHOTS = ROOT / ".local" / "screenshots"
AXE = ROOT / ".local" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
DSN = ROOT / "services" / "notifier" / "tests" / "integration" / "reports" / "postfix_dsn.eml"


# The b2c journeys run an experiment: half of the customers get no win-back offer.
EXPERIMENT = """
experiment:
  name: win-back-holdout
  variants:
    - {name: control, weight: 1}
    - {name: holdout, weight: 1, steps: {win_back_offer: {skip: true}}}
"""


@pytest.fixture
async def console_system(system):
    if not AXE.exists():
        pytest.fail("axe-core is missing: `make test` installs it (deploy/browser.sh)")
    b2c = system.templates() / "b2c-voluntary.v1.yaml"
    b2c.write_text(b2c.read_text() + EXPERIMENT)
    system.service_env["notifier"] = {"NOTIFIER_FEEDBACK_SMTP_PORT": str(free_port())}
    for service in ("notifier", "survey", "orchestrator"):  # the orchestrator's console reads the other two
        await system.start(service)
    return system


async def test_support_staff_use_the_console_in_a_browser(console_system):
    system = console_system
    async with Billing(system) as billing:
        subs = await billing.cancel(4)
        await converge(system, billing)
    await answer_the_first_survey(system)
    await bounce_the_confirmation(system, billing.address(subs[1]), subs[1])
    await marketing_paused(system)
    port = next(r.port for r in system.replicas if r.service == "orchestrator")
    seen = await asyncio.to_thread(operator_session, f"http://127.0.0.1:{port}", billing.address(subs[0]), subs[0])
    assert subs[1] in seen["attention"] and "5.1.1" in seen["attention"], "the bounced customer needs attention"
    assert "Marketing mail is paused since" in seen["insights"] and "Marked as spam" in seen["insights"]
    assert seen["rate_charts"] == 2 and "transactional" in seen["insights"], "the daily rates, drawn and tabled"
    assert "Marketing mail is resumed." in seen["resumed_marketing"]
    assert "Marketing mail is going out." in seen["resumed_marketing"]
    resumed_by, reason = await marketing_resumed_by(system)
    assert resumed_by.startswith("token-") and " for token-" in resumed_by, "the notifier keeps who asked"
    assert reason == "complaints traced to one imported list, removed"
    assert seen["paused"] and seen["resumed"] and seen["revealed"] == billing.address(subs[0])
    assert "Confirmation" in seen["preview"] or "cancel" in seen["preview"].lower()
    assert seen["preview_plan"] == "b2b-voluntary, version 1" and seen["preview_rows"] == 13
    assert seen["preview_emails"] >= 8  # every email step of the journey that would run, rendered by the notifier
    # Of the four cancellations one is a consumer's own: the b2c-voluntary journey, which runs the experiment.
    assert seen["experiment_metrics"] == 7 and "assigned by the split: 1." in seen["experiment"]
    viewer = await asyncio.to_thread(viewer_session, f"http://127.0.0.1:{port}", seen["journey_url"])
    assert viewer["action_links"] == 0 and viewer["reveal"] == 0 and viewer["german"]
    assert not seen["violations"] and not viewer["violations"], seen["violations"] | viewer["violations"]


async def bounce_the_confirmation(system, address: str, subscription: str) -> None:
    """The customer's mail server bounces the confirmation (a Postfix DSN to its return path, over SMTP to the
    notifier's listener); the orchestrator hears of it and puts it on the journey's timeline."""
    sent = next(
        m
        for m in mail(system.maildir, f"@{system.name}.example")
        if address in m["To"] and m["X-Offboarding-Step"] == "confirmation"
    )
    return_path = sent["Return-Path"].strip("<>")
    dsn = DSN.read_text().format(return_path=return_path, recipient=address, message_id=sent["Message-ID"])
    listener = int(system.service_env["notifier"]["NOTIFIER_FEEDBACK_SMTP_PORT"])
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=listener) as client:
        await client.sendmail("", [return_path], dsn.encode())

    async def on_the_timeline() -> bool:
        async with system.orchestrator_api() as api:
            (journey,) = (await api.get("/v1/journeys", params={"subscription_id": subscription})).json()["items"]
            detail = (await api.get(f"/v1/journeys/{journey['id']}")).json()
        return any(e["what"] == "email_bounced" for e in detail.get("timeline", []))

    await wait_until(on_the_timeline, within=30, every=0.3)


async def marketing_paused(system) -> None:
    """The reputation guard's pause as it writes it (the guard itself is driven over its threshold in the
    notifier's tests): a row in the notifier's sending_pauses, which its API then reports."""
    await notifier_sql(
        system,
        "INSERT INTO sending_pauses (stream, reason) VALUES ('marketing', 'complaint rate 0.45% of 2,000 marketing emails')",
    )


async def marketing_resumed_by(system) -> tuple[str, str]:
    (row,) = await notifier_sql(system, "SELECT resumed_by, resume_reason FROM sending_pauses")
    return row.resumed_by, row.resume_reason


async def notifier_sql(system, statement: str) -> list:
    engine = create_async_engine(system.database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(sa.text(f'SET search_path TO "{system.name}_notifier"'))
            result = await connection.execute(sa.text(statement))
            return result.all() if result.returns_rows else []
    finally:
        await engine.dispose()


async def answer_the_first_survey(system) -> None:
    invitation = next(
        m
        for m in mail(system.maildir, f"@{system.name}.example")
        if m["X-Offboarding-Step"] == "exit_survey_invitation"
    )
    link = re.search(r"http://survey\.test(/s/\S+)", invitation.get_body(("plain",)).get_content()).group(1)
    port = next(r.port for r in system.replicas if r.service == "survey")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        answered = await client.post(link, data={"reason": "poor_support", "score": "3", "comment": "Slow replies"})
    assert answered.status_code == 200


def operator_session(base: str, email: str, subscription: str) -> dict:
    from selenium.webdriver.common.by import By

    driver = chromium()
    axe = AXE.read_text()
    violations: dict[str, list] = {}
    seen: dict = {}

    def page(name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        full_page(driver, SCREENSHOTS / f"console-{name}.png")
        found = accessibility_violations(driver, axe)
        if found:
            violations[name] = found

    try:
        driver.get(base + "/console")
        page("sign-in")
        driver.find_element(By.ID, "token").send_keys("operator-token")
        driver.find_element(By.XPATH, "//select[@id='tz']/option[.='Europe/Berlin']").click()
        navigate(driver, driver.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
        page("find")
        driver.find_element(By.ID, "email").send_keys(email)
        navigate(driver, driver.find_element(By.XPATH, "//form[@action='/console/search']//button"))
        navigate(driver, driver.find_element(By.LINK_TEXT, subscription))
        seen["journey_url"] = driver.current_url
        page("journey")

        for action, done in (("Pause", "paused"), ("Resume", "resumed")):
            navigate(driver, driver.find_element(By.LINK_TEXT, action))
            if action == "Pause":
                page("confirm-pause")
            driver.find_element(By.ID, "reason").send_keys(f"{action} asked for by the customer on the phone")
            navigate(driver, driver.find_element(By.XPATH, "//main//form//button[@type='submit']"))
            seen[done] = f"The journey is {done}." in driver.find_element(By.TAG_NAME, "main").text
            if action == "Pause":
                page("journey-paused")

        navigate(driver, driver.find_element(By.LINK_TEXT, "Reveal email and name"))
        driver.find_element(By.ID, "reason").send_keys("data-subject request, ticket 4711")
        navigate(driver, driver.find_element(By.XPATH, "//main//form//button[@type='submit']"))
        page("journey-revealed")
        seen["revealed"] = email if email in driver.find_element(By.TAG_NAME, "main").text else None

        driver.get(seen["journey_url"])
        navigate(driver, driver.find_element(By.XPATH, "//a[starts-with(normalize-space(.), 'Preview')]"))
        page("preview")
        seen["preview"] = driver.find_element(By.TAG_NAME, "main").text

        driver.get(f"{base}/console/previews?sample=b2b")
        navigate(driver, driver.find_element(By.XPATH, "//form[@action='/console/previews']//button[@type='submit']"))
        page("previews")
        seen["preview_plan"] = driver.find_element(By.CSS_SELECTOR, "main h2").text
        seen["preview_rows"] = len(driver.find_elements(By.CSS_SELECTOR, "main tbody tr"))
        seen["preview_emails"] = len(driver.find_elements(By.CSS_SELECTOR, "iframe.preview"))

        driver.get(f"{base}/console/experiments")
        page("experiments")
        navigate(driver, driver.find_element(By.LINK_TEXT, "win-back-holdout"))
        page("experiment")
        seen["experiment"] = driver.find_element(By.TAG_NAME, "main").text
        seen["experiment_metrics"] = len(driver.find_elements(By.CSS_SELECTOR, "main section.chart-row svg"))

        for name in ("attention", "insights", "audit"):
            driver.get(f"{base}/console/{name}")
            page(name)
            seen[name] = driver.find_element(By.TAG_NAME, "main").text
            if name == "insights":
                charts = "//section[h2[@id='reputation-days-title']]//*[local-name()='svg']"
                seen["rate_charts"] = len(driver.find_elements(By.XPATH, charts))
                navigate(driver, driver.find_element(By.LINK_TEXT, "Resume marketing mail"))
                page("resume-marketing")
                driver.find_element(By.ID, "reason").send_keys("complaints traced to one imported list, removed")
                navigate(driver, driver.find_element(By.XPATH, "//main//form//button[@type='submit']"))
                page("insights-resumed")
                seen["resumed_marketing"] = driver.find_element(By.TAG_NAME, "main").text
        seen["audit_entries"] = len(driver.find_elements(By.CSS_SELECTOR, "main tbody tr"))
    finally:
        driver.quit()
    seen["violations"] = violations
    return seen


def viewer_session(base: str, journey_url: str) -> dict:
    from selenium.webdriver.common.by import By

    driver = chromium(width=390, height=900)  # a phone, and a viewer
    axe = AXE.read_text()
    result: dict = {"violations": {}}
    try:
        driver.get(base + "/console/sign-in")
        driver.find_element(By.ID, "token").send_keys("viewer-token")
        driver.find_element(By.XPATH, "//select[@id='lang']/option[@value='de']").click()
        navigate(driver, driver.find_element(By.CSS_SELECTOR, "form button[type=submit]"))
        result["german"] = "Journey suchen" in driver.find_element(By.TAG_NAME, "h1").text
        full_page(driver, SCREENSHOTS / "console-find-de-phone.png", width=390)
        driver.get(journey_url)
        full_page(driver, SCREENSHOTS / "console-journey-viewer-de-phone.png", width=390)
        driver.get(journey_url.split("/console/")[0] + "/console/experiments/win-back-holdout")
        full_page(driver, SCREENSHOTS / "console-experiment-de-phone.png", width=390)
        found = accessibility_violations(driver, axe)
        if found:
            result["violations"]["experiment-de-phone"] = found
        driver.get(journey_url)
        result["action_links"] = len(driver.find_elements(By.CSS_SELECTOR, "a[href*='/actions/']"))
        result["reveal"] = len(driver.find_elements(By.PARTIAL_LINK_TEXT, "anzeigen"))
        found = accessibility_violations(driver, axe)
        if found:
            result["violations"]["journey-viewer"] = found
    finally:
        driver.quit()
    return result


def full_page(driver, path, *, width: int = 1280) -> None:
    """A screenshot of the whole page, not just the window."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(max(height + 120, 600), 6000))
    driver.save_screenshot(str(path))
