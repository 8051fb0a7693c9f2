"""Token guessing through the real HTTP server (uvicorn, configured as `serve` configures it): X-Forwarded-For
does not make a guesser on the host a new client each time, unless that proxy is named as trusted."""

import asyncio
import contextlib

import httpx
import pytest
import uvicorn

from orchestrator.bootstrap import bootstrap
from shared.runtime import http_config
from shared.testing import free_port, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.attack]


@contextlib.asynccontextmanager
async def served(settings):
    """The orchestrator's HTTP app behind uvicorn on a free port (no consumers: tokens are checked first)."""
    runtime = bootstrap(settings)
    server = uvicorn.Server(http_config(runtime.http_app, settings))
    task = asyncio.create_task(server.serve())
    await wait_until(_started(server))
    try:
        yield f"http://127.0.0.1:{settings.http_port}"
    finally:
        server.should_exit = True
        await task
        await runtime.engine.dispose()


async def guesses_answered(base: str, count: int) -> list[int]:
    """`count` wrong tokens from 127.0.0.1, each claiming another address in X-Forwarded-For."""
    codes = []
    async with httpx.AsyncClient(base_url=base) as client:
        for n in range(count):
            # Each guess begins differently: the per-prefix counter stays out of it.
            headers = {"Authorization": f"Bearer {n:04d}-guess-{n * 7919}", "X-Forwarded-For": f"198.51.100.{n}"}
            codes.append((await client.get("/v1/journeys", headers=headers)).status_code)
    return codes


async def test_rotating_x_forwarded_for_does_not_buy_more_guesses(settings_for):
    codes = await guesses_answered_with(settings_for(http_port=free_port()), 8)
    assert codes[:6] == [401] * 6 and codes[6:] == [429, 429], "the host is one client, whatever it claims"


async def test_a_named_proxy_passes_the_callers_address_on(settings_for):
    settings = settings_for(http_port=free_port(), forwarded_allow_ips="127.0.0.1")
    codes = await guesses_answered_with(settings, 8)
    assert codes == [401] * 8, "behind a trusted proxy each caller is counted apart"


async def guesses_answered_with(settings, count: int) -> list[int]:
    async with served(settings) as base:
        return await guesses_answered(base, count)


def _started(server: uvicorn.Server):
    async def started() -> bool:
        return server.started

    return started
