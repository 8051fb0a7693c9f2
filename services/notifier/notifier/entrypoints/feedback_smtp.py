"""The notifier's own SMTP listener for what comes back to the return paths: bounces (RFC 3464) and
feedback-loop complaints (RFC 5965) that mail servers send to `bounce+<delivery>-<mac>@<bounce domain>`.

It runs in the notifier's event loop (aiosmtpd's protocol on `loop.create_server`). Only a valid return path of
ours, or `fbl@<bounce domain>` for feedback loops, is taken at RCPT (550 otherwise: it relays nothing and takes
no other mail); a message over the size limit
is refused by aiosmtpd (552); a report is answered 250 once its feedback is committed, and 451 when the
database cannot take it now, so the sending server tries again later and nothing is lost. Unreadable mail
(auto-replies, spam) is accepted and counted, never answered: no backscatter."""

import asyncio

from aiosmtpd.smtp import SMTP

from notifier.service_layer.feedback import FeedbackDesk
from shared.errors import describe, is_transient
from shared.logging import get_logger
from shared.worker import Worker

log = get_logger(__name__)


class ReturnPathHandler:
    def __init__(self, desk: FeedbackDesk) -> None:
        self._desk = desk

    async def handle_RCPT(self, server, session, envelope, address: str, rcpt_options) -> str:
        if not self._desk.takes(address):
            return "550 5.1.1 not a return path of this sender"
        if len(envelope.rcpt_tos) >= 10:
            return "452 4.5.3 too many recipients"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        try:
            await self._desk.mailed(list(envelope.rcpt_tos), envelope.original_content or envelope.content)
        except Exception as exc:
            log.warning("feedback_not_recorded", error=describe(exc))
            return "451 4.3.0 try again later" if is_transient(exc) else "554 5.6.0 report not accepted"
        return "250 OK"


class FeedbackListener(Worker):
    """Serves the return paths on host:port while the notifier runs."""

    def __init__(self, desk: FeedbackDesk, *, host: str, port: int, max_bytes: int, hostname: str) -> None:
        super().__init__()
        self._handler = ReturnPathHandler(desk)
        self._host, self._port, self._max_bytes, self._hostname = host, port, max_bytes, hostname

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: SMTP(
                self._handler,
                data_size_limit=self._max_bytes,
                enable_SMTPUTF8=True,
                hostname=self._hostname,
                timeout=60,
                # A mail server delivers its queued bounces in one session: many transactions, few other commands.
                command_call_limit={"*": 50, "MAIL": 5000, "RCPT": 10000, "DATA": 5000, "RSET": 5000},
            ),
            self._host,
            self._port,
        )
        log.info("feedback_listener_started", host=self._host, port=self._port)
        try:
            while not self.stopping:
                await self.pause(3600)
        finally:
            server.close()
            await server.wait_closed()
