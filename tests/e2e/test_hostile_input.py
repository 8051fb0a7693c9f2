"""The attack corpus against the whole system, every service its own process: each hostile event gets its
documented outcome (a journey whose confirmation reaches exactly the customer, or the DLQ with its reason),
a good event published after all of them is off-boarded as usual, and no email address, name or survey
comment of any of them appears in any log: the services', PostgreSQL's, Kafka's or the SMTP sink's."""

import asyncio
import email
import email.header
import email.policy
import email.utils
import uuid
from pathlib import Path

import httpx
import pytest

from orchestrator.tools.hostile_events import conflicting_pair, hostile_cases
from orchestrator.tools.sample_events import cancellation
from shared.messaging.producer import create_producer
from shared.testing import read_topic, wait_until

from .system import ROOT

pytestmark = pytest.mark.integration


def sent_mail(maildir: Path) -> list[tuple[bytes, email.message.EmailMessage]]:
    return [
        (path.read_bytes(), email.message_from_bytes(path.read_bytes(), policy=email.policy.default))
        for path in (maildir / "new").glob("*")
    ]


def envelope_recipient(raw: bytes) -> str:
    """The SMTP envelope's recipient, as the sink recorded it (RFC 2047-encoded when not ASCII)."""
    for line in raw.split(b"\n"):
        if line.startswith(b"X-RcptTo:"):
            value = line[len(b"X-RcptTo:") :].decode("utf-8").strip()
            return str(email.header.make_header(email.header.decode_header(value)))
    return ""


def to_addresses(raw: bytes) -> list[str]:
    """What any reader takes from the To header, decoding encoded words first as careless clients do."""
    head = raw.split(b"\r\n\r\n")[0].replace(b"\r\n ", b" ").replace(b"\n ", b" ")
    value = next(line for line in head.splitlines() if line.startswith(b"To:"))[3:].decode("utf-8").strip()
    decoded = str(email.header.make_header(email.header.decode_header(value)))
    return [a for _, a in email.utils.getaddresses([decoded]) if "@" in a]


async def test_hostile_events_end_as_documented_and_leave_no_personal_data_in_any_log(system, unique_name):
    system.log_level = "INFO"
    for service in ("orchestrator", "notifier", "survey"):
        await system.start(service)
    topic = system.topics()["cancelled"]
    cases = hostile_cases(unique_name)
    first, second = conflicting_pair(unique_name)
    good = f"sub_{unique_name}_good"
    producer = create_producer(system.kafka, client_id="billing")
    await producer.start()
    try:
        for case in cases:
            await producer.send_and_wait(topic, case.value, key=case.subscription_id.encode())
        await producer.send_and_wait(topic, first, key=b"conflict")
        await producer.send_and_wait(topic, second, key=b"conflict")
        await producer.send_and_wait(
            topic, cancellation(good, email=f"{good}@example.com").to_json_bytes(), key=good.encode()
        )
    finally:
        await producer.stop()

    journeys = [c for c in cases if c.outcome == "journey"]
    expected = {c.email: c for c in journeys} | {f"{good}@example.com": None}

    async def every_confirmation_arrived() -> bool:
        confirmations = {
            envelope_recipient(raw)
            for raw, message in sent_mail(system.maildir)
            if message["X-Offboarding-Step"] == "confirmation"
        }
        return set(expected) <= confirmations

    await wait_until(every_confirmation_arrived, within=90, every=0.5)
    for raw, message in sent_mail(system.maildir):
        recipient = envelope_recipient(raw)
        if recipient in expected:
            assert to_addresses(raw) == [recipient], (recipient, to_addresses(raw))
            assert "Bcc" not in message and "Cc" not in message
    confirmations = [
        envelope_recipient(raw) for raw, m in sent_mail(system.maildir) if m["X-Offboarding-Step"] == "confirmation"
    ]
    assert all(confirmations.count(address) == 1 for address in expected), "one confirmation each"

    dead = await read_topic(
        system.kafka, f"{topic}.dlq", until=lambda rs: len(rs) >= sum(c.outcome != "journey" for c in cases) + 1
    )
    reasons = sorted(dict(r.headers)["error.reason"].decode() for r in dead)
    assert reasons == sorted(
        [c.outcome.removeprefix("dlq:") for c in cases if c.outcome != "journey"] + ["conflicting_duplicate"]
    )

    comment_marker = f"zqcomment{uuid.uuid4().hex[:8]}"
    await answer_a_survey_with(
        system, f"My name is Ada {comment_marker}\x00, write to me at {comment_marker}@example.com"
    )

    markers = {c.email for c in cases} | {c.email.split("@")[0] for c in cases} | {comment_marker}
    await asyncio.sleep(1)  # let the services flush what they log about the last steps
    logs = [r.log for r in system.replicas] + sorted((ROOT / ".local" / "logs").glob("*.log"))
    found = {str(path): sorted(m for m in markers if m.encode() in path.read_bytes()) for path in logs if path.exists()}
    assert not {path: hits for path, hits in found.items() if hits}, "personal data in logs"
    assert any("orchestrator" in path for path in found) and len(found) >= 3, found.keys()


async def answer_a_survey_with(system, comment: str) -> None:
    """The first survey invitation's link, answered with `comment` (control characters included). The sink's
    maildir holds every test's mail: only this system's customers count."""

    def invitations() -> list[email.message.EmailMessage]:
        return [
            message
            for raw, message in sent_mail(system.maildir)
            if message["X-Offboarding-Step"] == "exit_survey_invitation" and system.name in envelope_recipient(raw)
        ]

    async def invited() -> bool:
        return bool(invitations())

    await wait_until(invited, within=60, every=0.5)
    invitation = invitations()[0]
    text = invitation.get_body(("plain",)).get_content()
    path = next(word for word in text.split() if word.startswith("http://survey.test/s/")).removeprefix(
        "http://survey.test"
    )
    port = next(r.port for r in system.replicas if r.service == "survey")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        response = await client.post(path, data={"reason": "poor_support", "score": "2", "comment": comment})
    assert response.status_code == 200, response.text
