"""The quiet-day benchmark's own SMTP sink: records when each confirmation arrives, and for the one message it is
told to watch, reads the database's statement count *before* it answers the DATA command. The notifier records
a send only after that answer, so the count is exactly what a cancellation took up to its first email."""

import email
import time

import asyncpg
from aiosmtpd.controller import Controller

STATEMENTS = (
    "SELECT coalesce(sum(s.calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
    "WHERE d.datname = $1"
)


class CountingSink:
    def __init__(self, port: int, database: str) -> None:
        self.database = database
        self.arrived: dict[str, tuple[str, float]] = {}  # journey id -> (recipient, arrival time) of confirmations
        self.watch: str | None = None  # a recipient prefix: count statements when its confirmation arrives
        self.statements_at_watched: int | None = None
        self._controller = Controller(self, hostname="127.0.0.1", port=port, enable_SMTPUTF8=True)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def confirmed(self, prefix: str) -> int:
        return sum(recipient.startswith(prefix) for recipient, _ in list(self.arrived.values()))

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd calls it by this name
        message = email.message_from_bytes(envelope.original_content or envelope.content)
        if message["X-Offboarding-Step"] == "confirmation":
            recipient = envelope.rcpt_tos[0]
            if self.watch and recipient.startswith(self.watch) and self.statements_at_watched is None:
                connection = await asyncpg.connect(host="127.0.0.1", port=5432, user="postgres", database="postgres")
                try:
                    self.statements_at_watched = int(await connection.fetchval(STATEMENTS, self.database))
                finally:
                    await connection.close()
            self.arrived[str(message["X-Offboarding-Journey"])] = (recipient, time.time())
        return "250 OK"
