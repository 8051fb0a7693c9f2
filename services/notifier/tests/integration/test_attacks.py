"""Attacks on the notifier's command topic, as someone who can write to it would try them (the probe of issue
23 made the notifier send a company-branded phishing email with one anonymous record). Each record below is
dead-lettered with its reason and counted, none sends anything; a real command written after them goes out
once."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from notifier.bootstrap import bootstrap
from shared import signing
from shared.messaging.authenticity import REJECTED
from shared.sealing import new_key, seal
from shared.testing import read_topic

from .conftest import Orchestrator, mail_to, running, send_message

pytestmark = [pytest.mark.integration, pytest.mark.attack]
PHISHING = "Your account was compromised - reset at https://evil.test/reset"


def legacy_command(victim: str) -> dict:
    """What the probe wrote: a send command of the old kind, its recipient in the clear, no signature."""
    journey_id = str(uuid.uuid4())
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "offboarding/orchestrator",
        "type": "offboarding.command.send_message",
        "time": datetime.now(UTC).isoformat(),
        "data": {
            "journey_id": journey_id,
            "subscription_id": "sub_phish",
            "customer_id": "cus_phish",
            "step": "confirmation",
            "attempt": 1,
            "message": "cancellation_confirmation",
            "channel": "email",
            "category": "transactional",
            "segment": "b2c",
            "recipient": {"email": victim, "name": PHISHING},
            "facts": {"plan": PHISHING},
        },
    }


async def test_forged_altered_replayed_and_stale_commands_are_refused_and_send_nothing(settings_for, smtp_sink):
    settings = settings_for()
    victim = f"victim-{uuid.uuid4().hex[:8]}@example.com"
    topic = settings.topic_commands
    before = {r: REJECTED.labels(topic, r)._value.get() for r in ("unsigned", "bad_signature", "unknown_journey")}
    async with running(bootstrap(settings)), Orchestrator(settings) as orchestrator:
        # 1. The probe's record: plain recipient, no signature.
        await orchestrator.send_raw(json.dumps(legacy_command(victim)).encode(), key=b"sub_phish", headers=[])
        # 2. The same in binary content mode, with a signature header copied from a real record.
        _, real = send_message(email_address=f"real-{uuid.uuid4().hex[:6]}@example.com")
        real_id = str(uuid.uuid4())
        value, headers = await orchestrator.send(real_id, real)
        binary = [
            ("ce_specversion", b"1.0"),
            ("ce_id", b"x1"),
            ("ce_source", b"offboarding/orchestrator"),
            ("ce_type", b"offboarding.command.send_message"),
            ("ce_time", datetime.now(UTC).isoformat().encode()),
            *headers,
        ]
        await orchestrator.send_raw(value, key=real.subscription_id.encode(), headers=binary)
        # 3. A real, signed record altered on its way: the attacker's text in the facts.
        document = json.loads(value)
        document["id"] = str(uuid.uuid4())  # a new id, so that the inbox does not take it for the first one
        document["data"]["facts"]["plan"] = PHISHING
        await orchestrator.send_raw(json.dumps(document).encode(), key=real.subscription_id.encode(), headers=headers)
        # 4. Signed with a key the attacker made, for a journey this system never had.
        _, invented = send_message(email_address=victim)
        forged_keys = new_key()
        forged = legacy_command(victim) | {"id": str(uuid.uuid4())}
        forged["data"] = forged["data"] | {
            "journey_id": invented.journey_id,
            "sealed_recipient": seal(forged_keys, invented.journey_id, {"email": victim}).model_dump(),
        }
        forged_value = json.dumps(forged).encode()
        forged_headers = [(signing.HEADER, signing.signature(forged_keys, "sub_phish", forged_value).encode())]
        await orchestrator.send_raw(forged_value, key=b"sub_phish", headers=forged_headers)
        # 5. The real record again, byte for byte (a replay): the inbox knows it, nothing is sent twice.
        await orchestrator.send_raw(value, key=real.subscription_id.encode(), headers=headers)
        # 6. A signed command written long ago, older than a copy on the topic can be (a copy kept and replayed).
        stale_id, stale = send_message(email_address=f"stale-{uuid.uuid4().hex[:6]}@example.com")
        await orchestrator.send(stale_id, stale, written_at=datetime.now(UTC) - timedelta(days=30))

        results = await orchestrator.results({real_id})
        dead = await read_topic(settings.kafka_bootstrap_servers, f"{topic}.dlq", until=lambda rs: len(rs) >= 5)

    reasons = sorted(dict(r.headers)["error.reason"].decode() for r in dead)
    assert reasons == ["bad_signature", "expired", "unknown_journey", "unsigned", "unsigned"]
    assert results[real_id]["outcome"] == "succeeded"
    assert len(mail_to(smtp_sink.maildir, real.recipient.email)) == 1, "sent once, the replay changed nothing"
    assert mail_to(smtp_sink.maildir, victim) == [] and mail_to(smtp_sink.maildir, stale.recipient.email) == []
    assert not any(PHISHING in p.read_text(errors="replace") for p in (smtp_sink.maildir / "new").glob("*"))
    after = {r: REJECTED.labels(topic, r)._value.get() for r in before}
    assert {r: after[r] - before[r] for r in before} == {"unsigned": 2, "bad_signature": 1, "unknown_journey": 1}


async def test_the_survey_link_is_sent_to_the_customer_and_shown_to_no_one_else(settings_for, smtp_sink):
    # The link is the customer's key to their survey: it travels sealed, reaches their inbox, and the delivery
    # log's preview (which viewers read) shows where it leads without the token.
    settings = settings_for()
    token = f"{uuid.uuid4().hex}.signature"
    command_id, command = send_message(
        step="exit_survey_invitation", message="exit_survey_invitation", survey_url=f"https://survey.example/s/{token}"
    )
    async with running(bootstrap(settings)) as notifier, Orchestrator(settings) as orchestrator:
        value, _ = await orchestrator.send(command_id, command)
        await orchestrator.results({command_id})
        transport = httpx.ASGITransport(app=notifier.http_app)
        headers = {"Authorization": "Bearer viewer-token"}
        async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as client:
            preview = (await client.get(f"/v1/deliveries/{command_id}/preview")).json()
    (mail,) = mail_to(smtp_sink.maildir, command.recipient.email)
    assert token.encode() not in value, "not in the clear on the topic"
    assert token in mail.get_body(("plain",)).get_content(), "the customer gets it"
    assert token not in preview["text"] + preview["html"] and "https://survey.example/s/" in preview["text"]
