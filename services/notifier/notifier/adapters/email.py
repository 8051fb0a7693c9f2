"""Email over SMTP (aiosmtplib): building the MIME message and handing it to the mail server."""

import asyncio
import contextlib
import email.policy
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

import aiosmtplib

from notifier.adapters.rendering import Rendered

# Headers up to RFC 5322's 998 characters stay on one line: folding a long subject at 78 left some readers
# showing it with a leading space.
HEADERS_UNFOLDED = email.policy.SMTP.clone(max_line_length=998)


class SendFailed(Exception):
    """The channel did not take the message; `retryable` says whether trying again may help."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason, self.retryable = reason, retryable


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    starttls: bool = False
    tls: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0


def message_id(command_id: str, domain: str) -> str:
    """Derived from the command: a resend of the same command carries the same Message-ID, so it is recognisable."""
    return f"<{command_id}@{domain}>"


def build_email(
    *,
    rendered: Rendered,
    sender: str,
    to_address: str,
    to_name: str | None,
    msg_id: str,
    unsubscribe_url: str | None,
    journey_id: str,
    step: str,
) -> EmailMessage:
    email = EmailMessage(policy=HEADERS_UNFOLDED)
    email["Subject"] = rendered.subject
    email["From"] = sender
    email["To"] = formataddr((to_name or "", to_address))
    email["Date"] = format_datetime(datetime.now(UTC))
    email["Message-ID"] = msg_id
    # Ids only (no personal data): support and tests can tell which journey step a message belongs to.
    email["X-Offboarding-Journey"] = journey_id
    email["X-Offboarding-Step"] = step
    if unsubscribe_url:
        # RFC 8058 one-click unsubscribe: mail clients POST "List-Unsubscribe=One-Click" to the URL.
        email["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        email["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email.set_content(rendered.text)
    email.add_alternative(rendered.html, subtype="html")
    email["Content-Language"] = rendered.locale  # after the body: set_content drops Content-* headers
    return email


class SmtpChannel:
    """Sends over a small pool of kept-open SMTP connections: connecting, greeting and quitting per message
    cost more than the message itself. A connection idle for a while is replaced before use, because
    servers drop idle clients and a drop in the middle of a send would leave its outcome unknown."""

    IDLE_SECONDS = 10.0

    def __init__(self, config: SmtpConfig, *, pool_size: int = 4) -> None:
        self._config = config
        self._idle: asyncio.Queue[tuple[aiosmtplib.SMTP, float]] = asyncio.Queue()
        self._slots = asyncio.Semaphore(pool_size)

    async def send(self, email: EmailMessage) -> str:
        """Hand the message to the server; returns its answer. Raises SendFailed."""
        async with self._slots:
            client = await self._client()
            try:
                _, answer = await client.send_message(email)
            except aiosmtplib.SMTPRecipientsRefused as exc:
                await self._discard(client)
                permanent = all(500 <= r.code < 600 for r in exc.recipients)
                raise SendFailed(f"recipient refused: {exc.recipients[0].code}", retryable=not permanent) from None
            except aiosmtplib.SMTPResponseException as exc:
                await self._discard(client)
                raise SendFailed(f"SMTP {exc.code}: {exc.message[:200]}", retryable=exc.code < 500) from None
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                await self._discard(client)
                raise SendFailed(f"SMTP server unreachable: {type(exc).__name__}", retryable=True) from None
            self._release(client)
            return answer

    async def _client(self) -> aiosmtplib.SMTP:
        while not self._idle.empty():
            client, since = self._idle.get_nowait()
            if client.is_connected and time.monotonic() - since < self.IDLE_SECONDS:
                return client
            await self._discard(client)
        c = self._config
        client = aiosmtplib.SMTP(
            hostname=c.host,
            port=c.port,
            use_tls=c.tls,
            start_tls=c.starttls,
            username=c.username,
            password=c.password,
            timeout=c.timeout,
            tls_context=ssl.create_default_context() if c.tls or c.starttls else None,
        )
        try:
            await client.connect()
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise SendFailed(f"SMTP server unreachable: {type(exc).__name__}", retryable=True) from None
        return client

    def _release(self, client: aiosmtplib.SMTP) -> None:
        self._idle.put_nowait((client, time.monotonic()))

    async def _discard(self, client: aiosmtplib.SMTP) -> None:
        with contextlib.suppress(Exception):
            await client.quit() if client.is_connected else None
        client.close()

    async def close(self) -> None:
        while not self._idle.empty():
            await self._discard(self._idle.get_nowait()[0])
