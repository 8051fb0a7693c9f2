"""Bad input on the notifier's routes: a 4xx in the documented error shape, never a 5xx."""

import httpx
import pytest

from notifier.bootstrap import bootstrap

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "url",
    [
        "/v1/deliveries?cursor=%C2%B2",
        "/v1/deliveries?cursor=99999999999999999999999",
        "/v1/deliveries?journey_id=%00",
        "/u/%00",
    ],
)
async def test_hostile_queries_get_a_4xx(settings_for, url):
    app = bootstrap(settings_for()).http_app
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://t", headers={"Authorization": "Bearer viewer-token"}
    ) as client:
        response = await client.get(url)
    assert 400 <= response.status_code < 500, (url, response.status_code, response.text)
