"""The hand-over against the real database and SMTP sink: the end of data goes out behind the COMMIT, what
happens when that COMMIT is lost, the lease after a database restart, and a server that never answers."""

import asyncio
import socket
from datetime import timedelta

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from notifier.adapters import hand_over_commit
from notifier.adapters.hand_over_commit import CommitUnknown, HandOverCommit
from notifier.adapters.repository import DeliveryRepository
from notifier.adapters.tables import deliveries
from notifier.bootstrap import bootstrap

from .conftest import Orchestrator, mail_to, running, send_message

pytestmark = pytest.mark.integration


async def send_one(settings, runtime, smtp_sink):
    """Send one confirmation through `runtime`: (emails at the sink, the delivery's status, the answer)."""
    command_id, command = send_message()
    async with running(runtime) as notifier, Orchestrator(settings) as orchestrator:
        await orchestrator.send(command_id, command)
        result = (await orchestrator.results({command_id}))[command_id]
        async with notifier.sessions() as session:
            row = (
                await session.execute(
                    sa.select(deliveries.c.status, deliveries.c.handed_over_at).where(
                        deliveries.c.command_id == command_id
                    )
                )
            ).one()
    return len(mail_to(smtp_sink.maildir, command.recipient.email)), row, result


async def test_the_end_of_data_goes_out_behind_the_commit_before_its_answer(settings_for, smtp_sink, monkeypatch):
    # The order that closes the crash window rests on asyncpg internals (the query count and the transport's
    # buffer); if an upgrade moved them, the notifier would quietly fall back to waiting for the answer.
    seen = []
    real = hand_over_commit._on_the_wire
    monkeypatch.setattr(hand_over_commit, "_on_the_wire", lambda pg, before: seen.append(real(pg, before)) or seen[-1])
    settings = settings_for()
    mails, (status, handed_over_at), result = await send_one(settings, bootstrap(settings), smtp_sink)
    assert seen == [True]
    assert (mails, status, result["outcome"]) == (1, "sent", "succeeded")
    assert handed_over_at is not None


async def test_a_hand_over_commit_that_never_became_durable_still_records_the_email_as_sent(
    settings_for, smtp_sink, monkeypatch
):
    # The price of the order: the database crashes before the COMMIT is on disk while the end of data went
    # out. Played here by a ROLLBACK in its place: the sender saw the server accept, and records that.
    monkeypatch.setattr(hand_over_commit, "COMMIT", "ROLLBACK")
    settings = settings_for()
    mails, (status, handed_over_at), result = await send_one(settings, bootstrap(settings), smtp_sink)
    assert (mails, status, result["outcome"]) == (1, "sent", "succeeded")
    assert handed_over_at is None, "the hand-over was not recorded, the outcome was"


@pytest.mark.parametrize("committed", [True, False])
async def test_a_commit_answered_with_a_lost_connection_is_read_back(settings_for, smtp_sink, monkeypatch, committed):
    # When the end of data waits for the COMMIT's answer (the fallback order) and the database restarts as it
    # answers, the hand-over may be recorded or not. The chaos run lost three emails this way before the read
    # back (recorded, then abandoned). Read back, a recorded one is sent; an unrecorded one is not, and fails
    # retryably.
    real = HandOverCommit.record

    async def answer_lost(self, batch, *, now, then):
        if committed:
            await real(self, batch, now=now, then=lambda held: None)
        lost = ConnectionResetError("the database went away as it answered")
        raise CommitUnknown(str(lost)) from lost

    monkeypatch.setattr(HandOverCommit, "record", answer_lost)
    settings = settings_for()
    mails, (status, _), result = await send_one(settings, bootstrap(settings), smtp_sink)
    if committed:
        assert (mails, status, result["outcome"]) == (1, "sent", "succeeded")
    else:
        assert (mails, status, result["outcome"], result["retryable"]) == (0, "failed", "failed", True)
        assert "ConnectionResetError" in result["reason"]


async def test_the_sweep_waits_after_the_database_starts(settings_for, smtp_sink):
    # A sender whose hand-over COMMIT was lost in a database crash has delivered its message and records it
    # once the database is back: the sweep must not queue it again before then, whatever the claim's age.
    settings = settings_for()
    command_id, command = send_message()
    runtime = bootstrap(settings)
    async with running(runtime) as notifier, Orchestrator(settings) as orchestrator:
        await orchestrator.send(command_id, command)
        await orchestrator.results({command_id})
        async with notifier.sessions() as session, session.begin():
            started, now = (await session.execute(sa.text("SELECT pg_postmaster_start_time(), now()"))).one()
            await session.execute(
                deliveries.update()
                .where(deliveries.c.command_id == command_id)
                .values(status="sending", handed_over_at=None, claimed_at=started - timedelta(hours=1))
            )

        async def requeued(since_start: timedelta) -> int:
            async with notifier.sessions() as session, session.begin():
                repository = DeliveryRepository(session)
                return await repository.requeue_unsent(claimed_before=now, started_before=now - since_start)

        # The claim is older than the lease, the database's start is not older than the grace after it.
        assert await requeued(now - started + timedelta(minutes=30)) == 0
        # Both older: queued again.
        assert await requeued(timedelta(0)) == 1


@pytest.fixture
def server_that_never_answers_the_data():
    """A mail server that takes the message and then says nothing until long after the client's timeout."""

    class Silent:
        received = 0

        async def handle_DATA(self, server, session, envelope):
            Silent.received += 1
            await asyncio.sleep(5)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Silent(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port, Silent
    controller.stop()


async def test_a_server_that_never_answers_after_the_data_leaves_the_delivery_unconfirmed(
    settings_for, server_that_never_answers_the_data
):
    # The message may have been accepted: sending it again could be a duplicate, so it is not retried.
    port, server = server_that_never_answers_the_data
    settings = settings_for(smtp_port=port, smtp_timeout_seconds=1)
    command_id, command = send_message()
    async with running(bootstrap(settings)) as notifier, Orchestrator(settings) as orchestrator:
        await orchestrator.send(command_id, command)
        result = (await orchestrator.results({command_id}))[command_id]
        async with notifier.sessions() as session:
            status = await session.scalar(sa.select(deliveries.c.status).where(deliveries.c.command_id == command_id))
    assert (status, result["outcome"], result["retryable"]) == ("unconfirmed", "failed", False)
    assert "no answer from the mail server" in result["reason"]
    assert server.received == 1


async def test_the_server_answering_before_the_database_is_not_missed(settings_for, smtp_sink, monkeypatch):
    # The end of data goes out before the COMMIT's answer, so the mail server's answer may come first; the
    # SMTP client dropped such an answer as unasked for, and the send timed out as `unconfirmed`.
    real = HandOverCommit.record

    async def database_answers_late(self, batch, *, now, then):
        await real(self, batch, now=now, then=then)
        await asyncio.sleep(0.5)

    monkeypatch.setattr(HandOverCommit, "record", database_answers_late)
    settings = settings_for(smtp_timeout_seconds=3)
    mails, (status, _), result = await send_one(settings, bootstrap(settings), smtp_sink)
    assert (mails, status, result["outcome"]) == (1, "sent", "succeeded")


async def test_recording_waits_out_a_database_that_is_starting_up(settings_for, smtp_sink, monkeypatch):
    # PostgreSQL refuses connections with its own error while it starts (57P03). The record gave up at the
    # first one; when the hand-over's COMMIT had been lost in that restart, the sweep then sent it again.
    from asyncpg.exceptions import CannotConnectNowError

    from notifier.service_layer.sending import Sender

    real, refused = Sender._record, []

    async def starting_up_twice(self, done):
        if len(refused) < 2:
            refused.append(True)
            raise CannotConnectNowError("the database system is starting up")
        await real(self, done)

    monkeypatch.setattr(Sender, "_record", starting_up_twice)
    settings = settings_for()
    mails, (status, _), result = await send_one(settings, bootstrap(settings), smtp_sink)
    assert refused == [True, True]
    assert (mails, status, result["outcome"]) == (1, "sent", "succeeded")
