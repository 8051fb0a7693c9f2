"""Hostile recipients and hand-made commands through the real SMTP sink: every delivery ends honestly (sent,
or failed with its real reason), none is left `sending` to turn into a false `unconfirmed`, and no name adds a
recipient."""

import asyncio
import email.utils
import socket
import uuid

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink

from notifier.adapters.tables import deliveries
from notifier.bootstrap import bootstrap

from .conftest import Orchestrator, mail_to, running, send_message

pytestmark = pytest.mark.integration


async def statuses(runtime, journey_ids) -> dict[str, tuple[str, str | None]]:
    async with runtime.sessions() as session:
        rows = await session.execute(
            sa.select(deliveries.c.journey_id, deliveries.c.status, deliveries.c.reason).where(
                deliveries.c.journey_id.in_(journey_ids)
            )
        )
        return {r.journey_id: (r.status, r.reason) for r in rows}


async def test_every_hostile_recipient_is_sent_once_or_fails_with_its_reason(settings_for, smtp_sink):
    settings = settings_for()
    cases = {
        "template_name": ({}, {"recipient": {"name": "Zq {{ 7*7 }}"}}),
        "directory_zone": ({}, {"recipient": {"timezone": "America"}}),
        "second_recipient": ({}, {"recipient": {"name": "Évé Zq <attacker@evil.test>, x"}}),
        "crlf_name": ({}, {"recipient": {"name": "Ada\r\nBcc: attacker@evil.test"}}),
        "path_locale": ({}, {"recipient": {"locale": "../../etc"}}),
        "international": ({"email_address": f"zqä{uuid.uuid4().hex[:8]}@example.com"}, {}),
        "bad_date": ({}, {"facts": {"effective_at": "not a date"}}),
    }
    commands = {name: send_message(**kwargs) for name, (kwargs, _) in cases.items()}
    undeliverable_id, undeliverable = send_message()
    async with running(bootstrap(settings)) as notifier, Orchestrator(settings) as orchestrator:
        for name, (command_id, command) in commands.items():
            await orchestrator.send(command_id, command, **cases[name][1])
        # A recipient no orchestrator would seal (the intake refuses such an address): failed with the reason.
        await orchestrator.send(undeliverable_id, undeliverable, recipient={"email": "ada@localhost"})
        results = await orchestrator.results({cid for cid, _ in commands.values()} | {undeliverable_id}, within=30)
        final = await statuses(notifier, [c.journey_id for _, c in commands.values()])

    outcome = {name: results[cid] for name, (cid, _) in commands.items()}
    for name in ("template_name", "directory_zone", "second_recipient", "crlf_name", "path_locale", "international"):
        assert outcome[name]["outcome"] == "succeeded", (name, outcome[name])
    assert outcome["bad_date"]["outcome"] == "failed" and outcome["bad_date"]["retryable"] is False
    assert "ValueError" in outcome["bad_date"]["reason"]
    refused = results[undeliverable_id]
    assert (refused["outcome"], refused["retryable"]) == ("failed", False)
    assert refused["reason"].startswith("the recipient is not valid: email") and "localhost" not in refused["reason"]
    assert mail_to(smtp_sink.maildir, "ada@localhost") == []
    assert all(status in ("sent", "failed") for status, _ in final.values()), final

    def only(name):
        _, command = commands[name]
        (message,) = mail_to(smtp_sink.maildir, command.recipient.email)
        return message

    text = only("template_name").get_body(("plain",)).get_content()
    # Evaluated, the name would read "Zq 49" ("49" alone may occur in the random subscription id of a link).
    assert "Zq {{ 7*7 }}" in text and "Zq 49" not in text
    for name in ("second_recipient", "crlf_name"):
        message = only(name)
        assert message["X-RcptTo"] == commands[name][1].recipient.email, "the envelope has the customer only"
        assert [a for _, a in email.utils.getaddresses([str(message["To"])])] == [commands[name][1].recipient.email]
        assert "Bcc" not in message
    assert commands["international"][1].recipient.email in only("international")["X-RcptTo"]


@pytest.fixture
def server_without_smtputf8():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Sink(), hostname="127.0.0.1", port=port, enable_SMTPUTF8=False)
    controller.start()
    yield port
    controller.stop()


async def test_a_server_without_smtputf8_fails_the_step_with_that_reason(settings_for, server_without_smtputf8):
    settings = settings_for(smtp_port=server_without_smtputf8)
    command_id, command = send_message(email_address="zqä14@example.com")
    async with running(bootstrap(settings)) as notifier, Orchestrator(settings) as orchestrator:
        await orchestrator.send(command_id, command)
        result = (await orchestrator.results({command_id}))[command_id]
        await asyncio.sleep(0)
        final = await statuses(notifier, [command.journey_id])
    assert result["outcome"] == "failed" and result["retryable"] is False
    assert "SMTPUTF8" in result["reason"]
    assert final[command.journey_id][0] == "failed"
