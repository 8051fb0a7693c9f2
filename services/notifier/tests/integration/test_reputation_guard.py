"""The reputation guard driven over its threshold with real complaints (Postmark's webhook, as Postmark sends
it): marketing pauses by itself, shows in /readyz details, /metrics and the API; marketing email is held while
transactional goes on; an operator resumes it with a reason, and marketing goes again."""

import base64
from datetime import UTC, datetime

import httpx
import pytest
import sqlalchemy as sa

from notifier.adapters.tables import sending_pauses
from notifier.bootstrap import bootstrap

from .conftest import Orchestrator, mail_to, running, send_message

pytestmark = pytest.mark.integration
POSTMARK = {"Authorization": "Basic " + base64.b64encode(b"pm:pm-secret").decode()}
VIEWER, OPERATOR = {"Authorization": "Bearer viewer-token"}, {"Authorization": "Bearer operator-token"}


def offer(**changes):
    return send_message(
        step="win_back_offer", message="win_back_offer", category="marketing", consent=True, timezone="UTC", **changes
    )


async def test_complaints_pause_marketing_until_an_operator_resumes_it(settings_for, smtp_sink):
    settings = settings_for(
        postmark_webhook_credentials="pm:pm-secret",
        reputation_min_sent=4,
        reputation_complaint_threshold=0.25,
        reputation_check_seconds=3600,  # the test asks (GET /v1/reputation checks), not the clock
    )
    offers = [offer() for _ in range(4)]
    async with running(bootstrap(settings)) as notifier, Orchestrator(settings) as orchestrator:
        for command_id, command in offers:
            await orchestrator.send(command_id, command)
        await orchestrator.results({command_id for command_id, _ in offers})
        transport = httpx.ASGITransport(app=notifier.http_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as api:
            before = (await api.get("/v1/reputation", headers=VIEWER)).json()
            complaint = {
                "RecordType": "SpamComplaint",
                "Email": offers[0][1].recipient.email,
                "BouncedAt": "2026-12-02T10:00:00Z",
            }
            assert (await api.post("/webhooks/email/postmark", json=complaint, headers=POSTMARK)).status_code == 200
            after = (await api.get("/v1/reputation", headers=VIEWER)).json()
            daily = (await api.get("/v1/reputation/daily", params={"days": 3}, headers=VIEWER)).json()
            ready = (await api.get("/readyz")).json()
            metrics = (await api.get("/metrics")).text

            held_id, held = offer()
            confirmation_id, confirmation = send_message()
            await orchestrator.send(held_id, held)
            await orchestrator.send(confirmation_id, confirmation)
            answers = await orchestrator.results({held_id, confirmation_id})

            by_viewer = await api.post("/v1/reputation/resume", params={"reason": "x"}, headers=VIEWER)
            no_reason = await api.post("/v1/reputation/resume", headers=OPERATOR)
            resumed = await api.post(
                "/v1/reputation/resume", params={"reason": "list cleaned", "on_behalf_of": "staff-1"}, headers=OPERATOR
            )
            twice = await api.post("/v1/reputation/resume", params={"reason": "again"}, headers=OPERATOR)
            still = (await api.get("/v1/reputation", headers=VIEWER)).json()
        again_id, again = offer()
        await orchestrator.send(again_id, again)
        sent_again = (await orchestrator.results({again_id}))[again_id]

    assert before["marketing"]["paused"] is False
    marketing = next(s for s in after["streams"] if s["stream"] == "marketing")
    assert (marketing["sent"], marketing["complaints"], marketing["complaint_rate"]) == (4, 1, 0.25)
    assert after["marketing"]["paused"] and after["marketing"]["reason"].startswith("complaint rate 25.00%")
    (today,) = [d for d in daily["days"] if d["stream"] == "marketing"]
    assert (today["sent"], today["complaints"], today["complaint_rate"]) == (4, 1, 0.25)
    assert today["day"] == datetime.now(UTC).date().isoformat()
    assert ready["status"] == "ok" and ready["details"]["marketing"].startswith("paused: complaint rate")
    assert "notifier_marketing_paused 1.0" in metrics
    assert (
        'notifier_reputation_rate{kind="complaint",sender_domain="acme.example",stream="marketing",template="all"} 0.25'
        in metrics
    )
    assert answers[held_id]["outcome"] == "deferred" and "marketing paused" in answers[held_id]["reason"]
    assert answers[confirmation_id]["outcome"] == "succeeded", "transactional mail goes on"
    assert mail_to(smtp_sink.maildir, held.recipient.email) == []
    assert (by_viewer.status_code, no_reason.status_code, resumed.status_code, twice.status_code) == (
        403,
        422,
        200,
        409,
    )
    assert still["marketing"]["paused"] is False, "the old complaint does not pause it again at once"
    async with notifier.sessions() as session:
        (resumed_by,) = (await session.execute(sa.select(sending_pauses.c.resumed_by))).scalars()
    assert resumed_by.endswith(" for staff-1"), "the console's staff member is kept with the resume"
    assert sent_again["outcome"] == "succeeded"
