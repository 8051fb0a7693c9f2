"""What comes back about a sent email, over real SMTP: a Postfix bounce (RFC 3464) and a feedback-loop complaint
(RFC 5965, the RFC's own example around our message) mailed to the notifier's listener for a message it really
sent through the sink; and a mail server refusing the recipient at send time. Each is recorded once, shows in
the delivery log, suppresses the address, and the next email to it is skipped as `address_unreachable`."""

import asyncio
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiosmtplib
import httpx
import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from notifier.adapters.tables import delivery_feedback, suppression_audit, suppressions
from notifier.bootstrap import bootstrap
from shared.events.commands import ErasePersonalData
from shared.personal import address_hash, keyed_address_hash
from shared.testing import free_port, wait_until

from .conftest import Orchestrator, mail_to, running, send_message

pytestmark = pytest.mark.integration
REPORTS = Path(__file__).parent / "reports"
REAL_WORLD_REPORTS = Path(__file__).parents[1] / "reports_real_world"


@asynccontextmanager
async def notifier_with_listener(settings):
    async with running(bootstrap(settings)) as notifier, Orchestrator(settings) as orchestrator:
        yield notifier, orchestrator


async def deliveries_of(notifier, journey_id: str) -> list[dict]:
    transport = httpx.ASGITransport(app=notifier.http_app)
    headers = {"Authorization": "Bearer viewer-token"}
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as client:
        return (await client.get("/v1/deliveries", params={"journey_id": journey_id})).json()["items"]


async def mail_report(port: int, to: str, report: bytes) -> None:
    """As a mail server sends a bounce: from the null sender (MAIL FROM:<>)."""
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port) as client:
        await client.sendmail("", [to], report)


def report(name: str, **values: str) -> bytes:
    return (REPORTS / name).read_text().format(**values).encode()


async def test_a_bounce_and_a_complaint_mailed_back_suppress_their_addresses_once(settings_for, smtp_sink):
    port = free_port()
    settings = settings_for(feedback_smtp_port=port, address_key="an-address-key-of-this-deployment")

    def hashed(address: str) -> str:
        return keyed_address_hash(address, b"an-address-key-of-this-deployment")

    bounced_id, bounced = send_message()
    complained_id, complained = send_message()
    async with notifier_with_listener(settings) as (notifier, orchestrator):
        await orchestrator.send(bounced_id, bounced)
        await orchestrator.send(complained_id, complained)
        await orchestrator.results({bounced_id, complained_id})
        (sent,) = mail_to(smtp_sink.maildir, bounced.recipient.email)
        return_path = sent["Return-Path"].strip("<>")
        assert return_path.startswith("bounce+") and return_path.endswith("@bounces.acme.example")
        assert bounced.recipient.email.split("@")[0] not in return_path, "no personal data in the return path"
        dsn = report(
            "postfix_dsn.eml", return_path=return_path, recipient=bounced.recipient.email, message_id=sent["Message-ID"]
        )
        await mail_report(port, return_path, dsn)
        await mail_report(port, return_path, dsn)  # the same report twice: written once

        (other,) = mail_to(smtp_sink.maildir, complained.recipient.email)
        other_path = other["Return-Path"].strip("<>")
        arf = report(
            "arf_complaint.eml", to="fbl@bounces.acme.example", return_path=other_path, message_id=other["Message-ID"]
        )
        await mail_report(port, "fbl@bounces.acme.example", arf)  # a feedback loop's address, not the return path

        # The next emails to both addresses, from other journeys: not sent.
        later = [send_message(email_address=c.recipient.email, step="access_ended") for c in (bounced, complained)]
        for command_id, command in later:
            await orchestrator.send(command_id, command)
        answers = await orchestrator.results({command_id for command_id, _ in later})
        log = {c.journey_id: (await deliveries_of(notifier, c.journey_id))[0] for c in (bounced, complained)}
        async with notifier.sessions() as session:
            feedback = (await session.execute(sa.select(delivery_feedback.c.kind, delivery_feedback.c.source))).all()
            scopes = set((await session.execute(sa.select(suppressions.c.scope))).scalars())

        # The bounced journey is erased: its feedback no longer says whose address it was; the suppression stays.
        erase = ErasePersonalData(**bounced.model_dump(include={"journey_id", "subscription_id", "customer_id"}))
        await orchestrator.send("erase-" + bounced_id, erase)

        async def forgotten() -> bool:
            async with notifier.sessions() as session:
                hashes = (await session.execute(sa.select(delivery_feedback.c.recipient_hash))).scalars().all()
            return sorted(hashes, key=lambda h: h or "") == [None, hashed(complained.recipient.email)]

        await wait_until(forgotten)
        async with notifier.sessions() as session:
            still = set((await session.execute(sa.select(suppressions.c.recipient_hash))).scalars())
    assert hashed(bounced.recipient.email) in still, "erasure does not lift the suppression"
    assert address_hash(bounced.recipient.email) not in still, "a keyed hash: no address can be tested against it"

    assert (log[bounced.journey_id]["status"], log[bounced.journey_id]["feedback_kind"]) == ("bounced", "hard")
    assert log[bounced.journey_id]["feedback_code"] == "5.1.1"
    assert (log[complained.journey_id]["status"], log[complained.journey_id]["feedback_code"]) == (
        "complained",
        "abuse",
    )
    assert sorted(feedback) == [("complaint", "arf_report"), ("hard", "smtp_report")], "each written once"
    assert scopes == {"all"}
    assert {(a["outcome"], a["reason"]) for a in answers.values()} == {("skipped", "address_unreachable")}
    for command in (bounced, complained):
        assert len(mail_to(smtp_sink.maildir, command.recipient.email)) == 1, "nothing more went to it"


# Reports as Exim, qmail, Exchange, Sendmail and an RFC 3464 "delayed" notice sent them (tests/reports_real_world).
REAL_WORLD = {
    "exim_01.txt": ("bounced", "hard", "5.0.0"),
    "qmail_01.txt": ("bounced", "hard", "5.0.0"),
    "microsoft_01.txt": ("bounced", "hard", "5.0.0"),
    "sendmail_01.txt": ("bounced", "hard", "5.0.0"),
    "dsn_05.txt": ("sent", "soft", "4.4.1"),  # delayed: still on its way, nothing suppressed yet
    "qmail_08.txt": ("sent", None, None),  # an auto-reply to the return path: no bounce
}


async def test_real_world_bounces_mailed_to_return_paths_find_their_emails(settings_for, smtp_sink):
    port = free_port()
    settings = settings_for(feedback_smtp_port=port)
    sends = {name: send_message() for name in REAL_WORLD}
    async with notifier_with_listener(settings) as (notifier, orchestrator):
        for command_id, command in sends.values():
            await orchestrator.send(command_id, command)
        await orchestrator.results({command_id for command_id, _ in sends.values()})
        for name, (_, command) in sends.items():
            (sent,) = mail_to(smtp_sink.maildir, command.recipient.email)
            return_path = sent["Return-Path"].strip("<>")
            await mail_report(port, return_path, (REAL_WORLD_REPORTS / name).read_bytes())
        fates = {name: (await deliveries_of(notifier, command.journey_id))[0] for name, (_, command) in sends.items()}
        async with notifier.sessions() as session:
            scopes = (await session.execute(sa.select(suppressions.c.scope))).scalars().all()
    seen = {name: (d["status"], d["feedback_kind"], d["feedback_code"]) for name, d in fates.items()}
    assert seen == REAL_WORLD
    assert scopes == ["all"] * 4, "the four hard bounces suppress their addresses; the delay and the reply do not"


async def test_an_operator_lifts_a_suppression_with_a_reason_and_mail_goes_again(settings_for, smtp_sink):
    port = free_port()
    settings = settings_for(feedback_smtp_port=port)
    command_id, command = send_message()
    address = command.recipient.email
    async with notifier_with_listener(settings) as (notifier, orchestrator):
        await orchestrator.send(command_id, command)
        await orchestrator.results({command_id})
        (sent,) = mail_to(smtp_sink.maildir, address)
        return_path = sent["Return-Path"].strip("<>")
        dsn = report("postfix_dsn.eml", return_path=return_path, recipient=address, message_id=sent["Message-ID"])
        await mail_report(port, return_path, dsn)
        transport = httpx.ASGITransport(app=notifier.http_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as api:
            viewer, operator = {"Authorization": "Bearer viewer-token"}, {"Authorization": "Bearer operator-token"}
            looked_up = await api.get("/v1/suppressions", params={"email": address}, headers=viewer)
            by_viewer = await api.delete("/v1/suppressions", params={"email": address, "reason": "x"}, headers=viewer)
            no_reason = await api.delete("/v1/suppressions", params={"email": address, "reason": " "}, headers=operator)
            lifted = await api.delete(
                "/v1/suppressions",
                params={"email": address, "reason": "customer fixed their mailbox"},
                headers=operator,
            )
            again = await api.delete("/v1/suppressions", params={"email": address, "reason": "x"}, headers=operator)
        again_id, again_command = send_message(email_address=address, step="access_ended")
        await orchestrator.send(again_id, again_command)
        answer = (await orchestrator.results({again_id}))[again_id]
        async with notifier.sessions() as session:
            audit = (await session.execute(sa.select(suppression_audit))).all()
    state = looked_up.json()
    assert looked_up.status_code == 200 and state["suppressed"] and state["scope"] == "all"
    assert [(f["kind"], f["reason_code"], f["source"]) for f in state["feedback"]] == [("hard", "5.1.1", "smtp_report")]
    assert address not in looked_up.text, "the answer names the hash, not the address"
    assert by_viewer.status_code == 403 and no_reason.status_code == 422
    assert "reason" in no_reason.text, "the refusal names the missing reason"
    assert lifted.status_code == 200 and lifted.json()["suppressed"] is False
    assert again.status_code == 404
    assert [(a.action, a.scope, a.reason) for a in audit] == [("lifted", "all", "customer fixed their mailbox")]
    assert address not in repr(audit)
    assert answer["outcome"] == "succeeded" and len(mail_to(smtp_sink.maildir, address)) == 2


async def test_the_listener_takes_only_its_return_paths_and_never_answers_junk(settings_for, smtp_sink):
    port = free_port()
    settings = settings_for(feedback_smtp_port=port, feedback_max_bytes=20_000)
    command_id, command = send_message()
    async with notifier_with_listener(settings) as (notifier, orchestrator):
        await orchestrator.send(command_id, command)
        await orchestrator.results({command_id})
        return_path = mail_to(smtp_sink.maildir, command.recipient.email)[0]["Return-Path"].strip("<>")
        token, mac = return_path.split("@")[0].removeprefix("bounce+").split("-")
        forged = f"bounce+{int(token, 16) + 1:x}-{mac}@bounces.acme.example"  # another delivery, this MAC
        refusals = []
        for to in (forged, "postmaster@bounces.acme.example", command.recipient.email):
            with pytest.raises(aiosmtplib.SMTPRecipientsRefused) as refused:
                await mail_report(port, to, b"Subject: hi\r\n\r\nhello\r\n")
            refusals.append(refused.value.recipients[0].code)
        with pytest.raises(aiosmtplib.SMTPResponseException) as too_big:
            await mail_report(port, return_path, b"Subject: big\r\n\r\n" + b"x" * 30_000 + b"\r\n")
        # An out-of-office reply to the return path: taken (no backscatter), nothing recorded.
        await mail_report(port, return_path, b"Subject: Out of office\r\nAuto-Submitted: auto-replied\r\n\r\nAway.\r\n")
        async with notifier.sessions() as session:
            recorded = (await session.execute(sa.select(sa.func.count()).select_from(delivery_feedback))).scalar()
        log = await deliveries_of(notifier, command.journey_id)
    assert refusals == [550, 550, 550]
    assert too_big.value.code == 552
    assert recorded == 0 and log[0]["status"] == "sent"


class RefusingServer:
    """A mail server that refuses one mailbox for good (550 5.1.1) and another for now (452 4.2.2)."""

    def __init__(self, gone: str, full: str) -> None:
        self.gone, self.full = gone, full

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.gone:
            return "550 5.1.1 no such user here"
        if address == self.full:
            return "452 4.2.2 mailbox full"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        return "250 OK"


async def test_the_servers_refusal_at_send_time_is_feedback_too(settings_for):
    gone_id, gone = send_message()
    full_id, full = send_message()
    server = Controller(
        RefusingServer(gone.recipient.email, full.recipient.email), hostname="127.0.0.1", port=free_port()
    )
    server.start()
    try:
        settings = settings_for(smtp_host="127.0.0.1", smtp_port=server.port)
        async with notifier_with_listener(settings) as (notifier, orchestrator):
            await orchestrator.send(gone_id, gone)
            await orchestrator.send(full_id, full)
            answers = await orchestrator.results({gone_id, full_id})
            again_id, again = send_message(email_address=gone.recipient.email, step="access_ended")
            await orchestrator.send(again_id, again)
            skipped = (await orchestrator.results({again_id}))[again_id]
            gone_log = (await deliveries_of(notifier, gone.journey_id))[0]
            full_log = (await deliveries_of(notifier, full.journey_id))[0]
    finally:
        server.stop()
    assert answers[gone_id]["outcome"] == "failed" and answers[gone_id]["retryable"] is False
    assert answers[full_id]["outcome"] == "deferred", "soft: asked again later, not an attempt"
    not_before = datetime.fromisoformat(answers[full_id]["not_before"])
    assert timedelta(minutes=14) < not_before - datetime.now(UTC) <= timedelta(minutes=15), "the first pause"
    assert (gone_log["status"], gone_log["feedback_kind"], gone_log["feedback_code"]) == ("bounced", "hard", "5.1.1")
    assert (full_log["status"], full_log["feedback_kind"], full_log["feedback_code"]) == ("deferred", "soft", "4.2.2")
    assert (skipped["outcome"], skipped["reason"]) == ("skipped", "address_unreachable")


async def test_an_address_refused_for_now_for_longer_than_the_window_counts_as_hard(settings_for):
    first_id, first = send_message()
    address = first.recipient.email
    server = Controller(RefusingServer("nobody@example.com", address), hostname="127.0.0.1", port=free_port())
    server.start()
    try:
        settings = settings_for(smtp_host="127.0.0.1", smtp_port=server.port, soft_bounce_window=timedelta(seconds=1))
        async with notifier_with_listener(settings) as (_notifier, orchestrator):
            await orchestrator.send(first_id, first)
            deferred = (await orchestrator.results({first_id}))[first_id]
            await asyncio.sleep(1.2)  # the window passes while the mailbox stays full
            second_id, second = send_message(email_address=address, step="thanks")
            await orchestrator.send(second_id, second)
            failed = (await orchestrator.results({second_id}))[second_id]
            third_id, third = send_message(email_address=address, step="access_ended")
            await orchestrator.send(third_id, third)
            skipped = (await orchestrator.results({third_id}))[third_id]
    finally:
        server.stop()
    assert deferred["outcome"] == "deferred"
    assert (failed["outcome"], failed["retryable"]) == ("failed", True), "a retry will find the address suppressed"
    assert (skipped["outcome"], skipped["reason"]) == ("skipped", "address_unreachable")
