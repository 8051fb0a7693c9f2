"""Bad input on every support route: a 4xx in the documented error shape, never a 5xx."""

import uuid

import pytest

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    "url",
    [
        "/v1/journeys?customer_id=%00",
        "/v1/journeys?template=a%00b",
        "/v1/journeys?subscription_id=%0D%0Ax",
        "/v1/journeys?email=%00%40x.com",
        "/v1/journeys?cursor=%C2%B2",
        "/v1/journeys?cursor=eyJzIjogIjIwMjYtMDEtMDEiLCAiaSI6ICIwMDAwMDAwMC0wMDAwLTAwMDAtMDAwMC0wMDAwMDAwMDAwMDAifQ",
        "/v1/journeys?cursor=" + "W" * 4000,
        "/v1/subscriptions/%00/journey",
        "/v1/journeys/not-a-uuid",
    ],
)
async def test_hostile_queries_get_a_4xx(api, url):
    async with api() as client:
        response = await client.get(url)
    assert 400 <= response.status_code < 500, (url, response.status_code, response.text)
    assert set(response.json()["error"]) == {"code", "message"}


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"reason": "a\x00b"}, 404),  # cleaned to "a b": a valid reason for a journey that does not exist
        ({"reason": "\x00\x01"}, 422),  # nothing left: blank
        ({"reason": "x", "extra": 1}, 422),
    ],
)
async def test_hostile_action_bodies_get_a_4xx(api, body, status):
    async with api("operator-token") as client:
        response = await client.post(f"/v1/journeys/{uuid.uuid4()}/pause", json=body)
    assert response.status_code == status, response.text


async def test_a_deeply_nested_body_is_refused(api):
    async with api("operator-token") as client:
        response = await client.post(
            f"/v1/journeys/{uuid.uuid4()}/pause",
            content=b'{"reason": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
            headers={"content-type": "application/json"},
        )
    assert 400 <= response.status_code < 500


async def test_a_request_id_that_is_not_a_plain_token_is_replaced(api):
    async with api() as client:
        response = await client.get("/healthz", headers={"X-Request-ID": "x" * 500})
        kept = await client.get("/healthz", headers={"X-Request-ID": "req-123"})
    assert response.headers["X-Request-ID"] != "x" * 500 and len(response.headers["X-Request-ID"]) == 32
    assert kept.headers["X-Request-ID"] == "req-123"
