"""Consent and one-click unsubscribe, quiet hours, and the signed webhook channel, end to end."""

import hashlib
import hmac
import json
import threading
from datetime import datetime, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
import sqlalchemy as sa

from notifier.adapters.tables import deliveries
from notifier.bootstrap import bootstrap
from shared.events.commands import ErasePersonalData
from shared.testing import wait_until

from .conftest import Orchestrator, mail_to, running, send_message

pytestmark = pytest.mark.integration


async def test_an_unsubscribed_address_gets_transactional_mail_but_no_marketing(settings_for, smtp_sink):
    settings = settings_for(marketing_cap_period="PT0S")
    address = "unsub-me@example.com"
    offer_id, offer = send_message(
        step="win_back_offer", message="win_back_offer", category="marketing", consent=True, email_address=address
    )
    async with running(bootstrap(settings)) as notifier, Orchestrator(settings) as orchestrator:
        await orchestrator.send(offer_id, offer)
        assert (await orchestrator.results({offer_id}))[offer_id]["outcome"] == "succeeded"
        (mail,) = mail_to(smtp_sink.maildir, address)
        assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        url = mail["List-Unsubscribe"].strip("<>")
        assert url in mail.get_body(("plain",)).get_content()
        path = httpx.URL(url).path
        token = path.rsplit("/", 1)[1]
        assert len(token) >= 22, "at least 128 bits"
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=notifier.http_app), base_url="http://t") as c:
            confirm_page = await c.get(path)
            one_click = await c.post(
                path,
                content="List-Unsubscribe=One-Click",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            again = await c.post(path)  # the button after the mail client's one-click: changes nothing
            unknown = await c.post("/u/not-a-real-token")
        assert confirm_page.status_code == 200 and "<form" in confirm_page.text
        assert one_click.status_code == 200 and "unsubscribed" in one_click.text
        assert again.status_code == 200 and "unsubscribed" in again.text
        assert unknown.status_code == 404 and "not valid" in unknown.text
        second_id, second = send_message(
            step="win_back_offer", message="win_back_offer", category="marketing", consent=True, email_address=address
        )
        notice_id, notice = send_message(step="access_ended", message="access_ended", email_address=address)
        await orchestrator.send(second_id, second)
        await orchestrator.send(notice_id, notice)
        results = await orchestrator.results({second_id, notice_id})
        told = await orchestrator.unsubscribes(offer.journey_id)
    assert results[second_id]["outcome"] == "skipped" and "unsubscribed" in results[second_id]["reason"]
    (unsubscribed,) = told  # once, although the link was used twice
    assert unsubscribed["subscription_id"] == offer.subscription_id
    assert unsubscribed["customer_id"] == offer.customer_id and "email" not in unsubscribed
    assert results[notice_id]["outcome"] == "succeeded"
    subjects = [m["Subject"] for m in mail_to(smtp_sink.maildir, address)]
    assert len(subjects) == 2 and "Your Acme access has ended" in subjects


async def test_marketing_without_consent_is_skipped_and_quiet_hours_defer(settings_for, smtp_sink):
    now = datetime.now().astimezone()
    quiet = settings_for(quiet_hours_start=time(0), quiet_hours_end=time(23, 59, 59))  # always quiet in UTC
    no_consent_id, no_consent = send_message(
        step="win_back_offer", message="win_back_offer", category="marketing", consent=False
    )
    night_id, night = send_message(
        step="win_back_offer", message="win_back_offer", category="marketing", consent=True, timezone="UTC"
    )
    async with running(bootstrap(quiet)), Orchestrator(quiet) as orchestrator:
        await orchestrator.send(no_consent_id, no_consent)
        await orchestrator.send(night_id, night)
        results = await orchestrator.results({no_consent_id, night_id})
    assert results[no_consent_id]["outcome"] == "skipped" and results[no_consent_id]["reason"] == "no marketing consent"
    deferred = results[night_id]
    assert deferred["outcome"] == "deferred" and "quiet hours" in deferred["reason"]
    assert datetime.fromisoformat(deferred["not_before"]) > now
    assert mail_to(smtp_sink.maildir, night.recipient.email) == []


class Receiver(BaseHTTPRequestHandler):
    """A CRM stand-in on loopback: answers with the statuses queued for it, records what it got."""

    statuses: list[int] = []
    received: list[tuple[dict, bytes]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((dict(self.headers), body))
        self.send_response(Receiver.statuses.pop(0) if Receiver.statuses else 200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    Receiver.statuses, Receiver.received = [], []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


async def test_webhooks_are_signed_retried_on_503_and_not_on_400(settings_for, receiver):
    settings = settings_for(
        webhook_urls=f"support_follow_up={receiver}/helpdesk,account_manager_handoff={receiver}/crm",
        webhook_secret="s3cret",
    )
    follow_id, follow = send_message(
        step="support_follow_up",
        message="support_follow_up",
        channel="webhook",
        survey={"score": 2, "reason": "poor_support", "may_contact": True},
    )
    handoff_id, handoff = send_message(
        step="account_manager_handoff", message="account_manager_handoff", channel="webhook", segment="b2b"
    )
    async with running(bootstrap(settings)), Orchestrator(settings) as orchestrator:
        Receiver.statuses = [503, 200]
        await orchestrator.send(follow_id, follow)
        first = (await orchestrator.results({follow_id}))[follow_id]
        Receiver.statuses = [400]
        await orchestrator.send(handoff_id, handoff)
        second = (await orchestrator.results({handoff_id}))[handoff_id]
    assert first["outcome"] == "succeeded"
    assert (second["outcome"], second["retryable"]) == ("failed", False) and "400" in second["reason"]
    paths = [json.loads(body)["event"] for _, body in Receiver.received]
    assert paths == ["support_follow_up", "support_follow_up", "account_manager_handoff"], "503 retried, 400 not"
    headers, body = Receiver.received[1]
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Signature"] == expected
    assert headers["X-Delivery-Id"] == follow_id
    payload = json.loads(body)
    assert payload["facts"]["survey"]["score"] == 2 and payload["customer"]["email"] == follow.recipient.email


async def test_a_help_request_reaches_the_helpdesk_with_the_customers_words_which_the_erasure_forgets(
    settings_for, receiver
):
    settings = settings_for(webhook_urls=f"customer_asked_for_help={receiver}/helpdesk")
    words = {"message": "Our admin left; who gets the export?\r\nBcc: x@evil.example", "phone": "+49 30 1234567"}
    asked = {"request_id": "r-1", "topic": "data_export", "reach_by": "phone", "requested_at": "2026-12-01T09:30:00Z"}
    command_id, command = send_message(
        step="help_hand_over_1",
        message="customer_asked_for_help",
        channel="webhook",
        segment="b2b",
        help=asked,
        help_words=words,
    )
    async with running(bootstrap(settings)) as notifier, Orchestrator(settings) as orchestrator:
        await orchestrator.send(command_id, command)
        result = (await orchestrator.results({command_id}))[command_id]
        erase = ErasePersonalData(**command.model_dump(include={"journey_id", "subscription_id", "customer_id"}))
        await orchestrator.send(f"erase-{command_id}", erase)

        async def forgotten():
            async with notifier.sessions() as session:
                row = (await session.execute(sa.select(deliveries).where(deliveries.c.command_id == command_id))).one()
                return row.recipient is None

        await wait_until(forgotten)
        async with notifier.sessions() as session:
            kept = (await session.execute(sa.select(deliveries).where(deliveries.c.command_id == command_id))).one()
    assert result["outcome"] == "succeeded"
    ((_, body),) = Receiver.received
    payload = json.loads(body)
    assert payload["event"] == "customer_asked_for_help" and payload["step"] == "help_hand_over_1"
    assert payload["facts"]["help"] == asked | words, "the words, opened from the sealed command, as they were"
    assert "help_words" not in payload["facts"]
    assert kept.facts["help"] == asked, "the erasure leaves the topic and the moment, not the words or the phone"
