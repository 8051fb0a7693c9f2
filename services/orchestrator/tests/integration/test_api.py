"""The support API over the real database: auth, search with cursor pagination, details, audited actions."""

import pytest
import sqlalchemy as sa

from orchestrator.adapters.tables import audit_log
from orchestrator.tools.sample_events import cancellation
from shared.outbox.table import outbox

from .conftest import eventually, journey_rows

pytestmark = pytest.mark.integration
REASON = {"reason": "customer asked on the phone"}


async def started(orchestrator, billing, *subs: str, **kwargs) -> list:
    for sub in subs:
        await billing(orchestrator.settings.topic_subscription_cancelled, cancellation(sub, **kwargs), sub)
    rows = []
    for sub in subs:
        rows += await eventually(lambda s=sub: journey_rows(orchestrator, s))
    return rows


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/journeys"),
        ("GET", "/v1/journeys/00000000-0000-0000-0000-000000000000"),
        ("GET", "/v1/subscriptions/sub_x/journey"),
        ("POST", "/v1/journeys/00000000-0000-0000-0000-000000000000/pause"),
    ],
)
async def test_missing_or_unknown_token_is_401(api, method, path):
    for token in (None, "not-a-token"):
        async with api(token) as client:
            response = await client.request(method, path, json=REASON)
        assert response.status_code == 401, response.text
        assert response.json()["error"]["code"] == "unauthorized"


async def test_an_address_that_guesses_tokens_waits_a_little_even_with_the_right_one(orchestrator):
    import httpx

    def from_address(host: str, token: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=orchestrator.http_app, client=(host, 40000))
        return httpx.AsyncClient(
            transport=transport, base_url="http://test", headers={"Authorization": f"Bearer {token}"}
        )

    for n in range(6):  # five free, the sixth sets a wait
        async with from_address("203.0.113.7", f"guess-{n}") as guesser:
            assert (await guesser.get("/v1/journeys")).status_code == 401
    async with from_address("203.0.113.7", "viewer-token") as guesser:
        refused = await guesser.get("/v1/journeys")
    async with from_address("198.51.100.2", "viewer-token") as colleague:
        elsewhere = await colleague.get("/v1/journeys")
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "too_many_attempts"
    assert int(refused.headers["retry-after"]) == 1, "a second, not the ten minutes of a lock"
    assert elsewhere.status_code == 200, "another address is not affected"


async def test_viewers_read_but_cannot_act(orchestrator, billing, api):
    (journey,) = await started(orchestrator, billing, "sub_view")
    async with api("viewer-token") as client:
        assert (await client.get(f"/v1/journeys/{journey.id}")).status_code == 200
        for path in ("pause", "resume", "cancel", "erase", "steps/thanks/skip", "steps/thanks/retry"):
            response = await client.post(f"/v1/journeys/{journey.id}/{path}", json=REASON)
            assert response.status_code == 403, path
            assert response.json()["error"]["code"] == "forbidden"
        assert (await client.get(f"/v1/journeys/{journey.id}?include=email")).status_code == 403


async def test_detail_and_subscription_lookup(orchestrator, billing, api):
    (journey,) = await started(orchestrator, billing, "sub_detail", segment="b2b")
    async with api() as client:
        detail = (await client.get(f"/v1/journeys/{journey.id}")).json()
        by_subscription = (await client.get("/v1/subscriptions/sub_detail/journey")).json()
        missing = await client.get("/v1/subscriptions/sub_nobody/journey")
    assert by_subscription["id"] == detail["id"] == str(journey.id)
    assert detail["template"] == "b2b-voluntary" and detail["template_version"] == 1 and detail["segment"] == "b2b"
    assert {"id", "subscription_id", "customer_id", "status", "started_at", "updated_at", "steps", "timeline"} <= set(
        detail
    )
    confirmation = next(s for s in detail["steps"] if s["name"] == "confirmation")
    assert set(confirmation) == {"name", "kind", "status", "due_at", "attempts", "last_error", "completed_at"}
    assert confirmation["status"] == "in_progress" and confirmation["attempts"] == 1
    assert [t["what"] for t in detail["timeline"]][:1] == ["started"]
    assert "email" not in detail and "example.com" not in str(detail)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "journey_not_found"


async def test_search_filters_and_paginates_newest_first(orchestrator, billing, api):
    rows = await started(orchestrator, billing, "sub_p1", "sub_p2", "sub_p3", "sub_p4", "sub_p5")
    async with api() as client:
        seen, cursor = [], None
        while True:
            page = (
                await client.get("/v1/journeys", params={"limit": 2} | ({"cursor": cursor} if cursor else {}))
            ).json()
            seen += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        by_email = (await client.get("/v1/journeys", params={"email": "SUB_P3@example.com"})).json()
        by_customer = (await client.get("/v1/journeys", params={"customer_id": "cus_sub_p2"})).json()
        by_status = (await client.get("/v1/journeys", params={"status": "completed"})).json()
        bad_cursor = await client.get("/v1/journeys", params={"cursor": "nonsense"})
        bad_status = await client.get("/v1/journeys", params={"status": "lost"})
    assert len(seen) == 5 and len({j["id"] for j in seen}) == 5
    started_at = [j["started_at"] for j in seen]
    assert started_at == sorted(started_at, reverse=True)
    assert [j["subscription_id"] for j in by_email["items"]] == ["sub_p3"]
    assert [j["subscription_id"] for j in by_customer["items"]] == ["sub_p2"]
    assert by_status == {"items": [], "next_cursor": None}
    assert bad_cursor.status_code == 422 and bad_cursor.json()["error"]["code"] == "invalid_cursor"
    assert bad_status.status_code == 422 and bad_status.json()["error"]["code"] == "invalid_request"
    assert {str(r.id) for r in rows} == {j["id"] for j in seen}


async def test_operator_actions_are_applied_and_audited(orchestrator, billing, api):
    (journey,) = await started(orchestrator, billing, "sub_ops")
    base = f"/v1/journeys/{journey.id}"
    async with api("operator-token") as client:
        assert (await client.post(f"{base}/pause", json=REASON)).json()["status"] == "paused"
        conflict = await client.post(f"{base}/pause", json=REASON)
        assert conflict.status_code == 409 and conflict.json()["error"]["code"] == "invalid_transition"
        assert (await client.post(f"{base}/resume", json=REASON)).json()["status"] == "active"
        skipped = (await client.post(f"{base}/steps/thanks/skip", json=REASON)).json()
        assert next(s for s in skipped["steps"] if s["name"] == "thanks")["status"] == "skipped"
        assert (await client.post(f"{base}/steps/nope/skip", json=REASON)).status_code == 404
        assert (await client.post(f"{base}/steps/confirmation/retry", json=REASON)).status_code == 409
        no_reason = await client.post(f"{base}/cancel", json={})
        assert no_reason.status_code == 422 and "reason" in no_reason.json()["error"]["message"]
        assert (await client.post(f"{base}/cancel", json={"reason": "   "})).status_code == 422
        no_why = await client.get(f"{base}?include=email")
        assert no_why.status_code == 403 and no_why.json()["error"]["code"] == "reason_required"
        with_email = (await client.get(f"{base}?include=email&reason=customer+called+about+the+invoice")).json()
        assert with_email["email"] == "sub_ops@example.com"
        cancelled = (await client.post(f"{base}/cancel", json=REASON)).json()
        unknown = await client.post("/v1/journeys/00000000-0000-0000-0000-000000000000/cancel", json=REASON)
    assert cancelled["status"] == "cancelled"
    assert all(s["status"] in ("cancelled", "skipped") for s in cancelled["steps"])
    assert unknown.status_code == 404
    async with orchestrator.sessions() as session:
        audit = (
            await session.execute(
                sa.select(audit_log).where(audit_log.c.journey_id == journey.id).order_by(audit_log.c.id)
            )
        ).all()
    assert [(a.action, a.step) for a in audit] == [
        ("pause", None),
        ("resume", None),
        ("skip", "thanks"),
        ("reveal", None),  # the API's include=email is audited as the console's reveal is
        ("cancel", None),
    ]
    assert all(a.actor.startswith("token-") and a.role == "operator" for a in audit)
    assert [a.reason for a in audit if a.action == "reveal"] == ["customer called about the invoice"]
    assert "operator-token" not in str([a.actor for a in audit])


async def test_erase_forgets_the_customer_and_tells_the_other_services(orchestrator, billing, api):
    (journey,) = await started(orchestrator, billing, "sub_erase")
    async with api("operator-token") as client:
        erased = (await client.post(f"/v1/journeys/{journey.id}/erase", json={"reason": "data-subject request"})).json()
        again = await client.post(f"/v1/journeys/{journey.id}/erase", json={"reason": "again"})
        by_email = (await client.get("/v1/journeys", params={"email": "sub_erase@example.com"})).json()
        with_email = (await client.get(f"/v1/journeys/{journey.id}?include=email&reason=check+the+erasure")).json()
    assert erased["status"] == "cancelled" and erased["erased_at"]
    assert again.status_code == 409
    assert by_email["items"] == [] and with_email["email"] is None
    (row,) = await journey_rows(orchestrator, "sub_erase")
    assert "example.com" not in str(row.facts) and row.email_hash is None
    settings = orchestrator.settings
    async with orchestrator.sessions() as session:
        left = (
            await session.execute(sa.select(outbox.c.topic, outbox.c.value).where(outbox.c.key == "sub_erase"))
        ).all()
    commands = [(t, v) for t, v in left if t in (settings.topic_notifier_commands, settings.topic_survey_commands)]
    assert sorted(t for t, _ in commands) == sorted([settings.topic_notifier_commands, settings.topic_survey_commands])
    assert all(b"offboarding.command.erase_personal_data" in v and b"example.com" not in v for _, v in commands)


async def test_metrics_expose_what_operators_watch(orchestrator, billing, api):
    await started(orchestrator, billing, "sub_metrics")
    async with api(None) as client:
        text = (await client.get("/metrics")).text
    for name in (
        "messages_consumed_total",
        "dlq_messages_total",
        "journeys{",
        "# TYPE journey_step_latency_seconds histogram",
        "outbox_lag_seconds",
        "timer_lag_seconds",
        "outbox_published_total",
    ):
        assert name in text, name
    assert (
        f'messages_consumed_total{{outcome="processed",topic="{orchestrator.settings.topic_subscription_cancelled}"}}'
        in text
    )
