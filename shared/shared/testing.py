"""Helpers for the services' integration tests: wait for a condition, read what a topic holds, a free port."""

import asyncio
import contextlib
import re
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from aiokafka import AIOKafkaConsumer, ConsumerRecord

from shared.runtime import Runtime, start, stop


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (for a server a test starts)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def wait_until(condition: Callable[[], Awaitable[bool]], *, within: float = 20.0, every: float = 0.05) -> None:
    """Poll `condition` until it holds; raise AssertionError at the deadline. No sleep-then-assert."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not await condition():
        if loop.time() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(every)


async def read_topic(
    bootstrap_servers: str, topic: str, *, until: Callable[[list[ConsumerRecord]], bool], within: float = 20.0
) -> list[ConsumerRecord]:
    """Read `topic` from the beginning (no consumer group) until `until(records)` holds or time runs out."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap_servers,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[ConsumerRecord] = []
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not until(records):
            if loop.time() > deadline:
                raise AssertionError(f"{topic}: condition not met within {within} s; got {len(records)} records")
            batches = await consumer.getmany(timeout_ms=200)
            for batch in batches.values():
                records.extend(batch)
    finally:
        await consumer.stop()
    return records


@contextlib.asynccontextmanager
async def running(runtime: Runtime, service_dir: Path) -> AsyncIterator[Runtime]:
    """A service's consumers and loops running in this process (migrated, topics created) for a test."""
    tasks = await start(runtime, service_dir)
    try:
        yield runtime
    finally:
        await stop(runtime, tasks)


def chromium(*, width: int = 1280, height: int = 1000):
    """Debian's headless Chromium through chromedriver, as the browser tests drive it (selenium is a test
    dependency, imported here only when a test asks for a browser)."""
    import shutil

    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert binary and driver, "Debian's chromium and chromium-driver are needed: `make test` installs them"
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--window-size={width},{height}",
    ):
        options.add_argument(flag)
    return webdriver.Chrome(service=Service(driver), options=options)


AXE_RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {resultTypes: ["violations"]}).then(
  (result) => done(result.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map((n) => n.target.join(" "))}))),
  (error) => done([{id: "axe-error", impact: "critical", help: String(error), targets: []}]));
"""


def accessibility_violations(driver, axe_source: str) -> list[dict]:
    """axe-core's violations on the page the driver shows (WCAG A/AA rules, labels, contrast, landmarks...)."""
    driver.execute_script(axe_source)
    driver.set_script_timeout(30)
    return driver.execute_async_script(AXE_RUN)


def navigate(driver, element) -> None:
    """Click a link or a form's button and wait until the next page has replaced this one (a click returns
    before a form's answer has arrived: reading the page then could read the old one)."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.support.wait import WebDriverWait

    old = driver.find_element("tag name", "html")
    element.click()

    def replaced(_driver) -> bool:
        # Selenium's staleness_of, plus Chromium's answer when it is asked in the midst of the swap ("Node with
        # given id does not belong to the document"), which means the same and failed a CI run.
        try:
            old.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:
            if "does not belong to the document" in str(exc):
                return True
            raise
        return False

    WebDriverWait(driver, 20).until(replaced)
    WebDriverWait(driver, 20).until(lambda d: d.execute_script("return document.readyState") == "complete")


def json_shaped_like(keys: list[str]):
    """A hypothesis strategy: any JSON, and objects keyed mostly with `keys` (a provider's field names), nested,
    so that the documents come close to the real shape where parsers assume things. For the hostile-input
    tests of whatever reads a webhook or report (hypothesis is a test dependency: imported here, on use)."""
    from hypothesis import strategies as st

    scalars = st.none() | st.booleans() | st.integers(min_value=-(2**63), max_value=2**63) | st.floats()
    json = st.recursive(
        scalars | st.text(max_size=20),
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
        max_leaves=25,
    )
    return st.recursive(
        json, lambda children: st.dictionaries(st.sampled_from(keys), children, max_size=6), max_leaves=40
    )


def previous_release(root: Path) -> tuple[str, str]:
    """The newest release in deploy/releases.tsv older than the version in the making (pyproject.toml):
    (version, commit). The rolling-update test runs its code; the migration check compares against it."""
    current = re.search(r'^version = "(.+)"', (root / "pyproject.toml").read_text(), re.M)[1]
    rows = [line.split("\t") for line in (root / "deploy" / "releases.tsv").read_text().splitlines()]
    return next(
        (version, commit) for version, commit in (r for r in rows if not r[0].startswith("#")) if version != current
    )
