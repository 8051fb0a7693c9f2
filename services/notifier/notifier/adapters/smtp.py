"""Handing email to the mail server over SMTP (aiosmtplib): a small pool of kept-open connections, and the
SMTP transaction written out so that the hand-over can be recorded before the message's last line."""

import asyncio
import contextlib
import re
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import aiosmtplib

from notifier.adapters.dkim_signing import DkimSigner
from notifier.adapters.email import AnswerLost, Mailbox, OutgoingEmail, SendFailed
from shared.logging import EMAIL_PATTERN

PERIOD_AT_LINE_START = re.compile(rb"(?m)^\.")
ENHANCED_STATUS = re.compile(r"^\s*([245]\.\d{1,3}\.\d{1,3})\b")
LINE_END = re.compile(rb"\r\n|\r|\n")
# Called after the message's content; it calls its argument (which writes the end of data) or raises.
BeforeEnd = Callable[[Callable[[], None]], Awaitable[None]]


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    starttls: bool = False
    tls: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0


class Abandoned(Exception):
    """The hand-over failed with `cause`: the message is dropped before its end of data."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


class NoSmtpUtf8(Exception):
    """The server cannot take this recipient: nothing was sent, the connection is still good."""


class SmtpChannel:
    """Sends over a small pool of kept-open SMTP connections: connecting, greeting and quitting per message
    cost more than the message itself. A connection idle for a while is replaced before use, because
    servers drop idle clients and a drop in the middle of a send would leave its outcome unknown."""

    IDLE_SECONDS = 10.0

    def __init__(self, config: SmtpConfig, *, pool_size: int = 4, signer: DkimSigner | None = None) -> None:
        self._config, self._signer = config, signer
        self._idle: asyncio.Queue[tuple[aiosmtplib.SMTP, float]] = asyncio.Queue()
        self._slots = asyncio.Semaphore(pool_size)

    async def send(self, email: OutgoingEmail, *, sender: str, to: Mailbox, before_end: BeforeEnd) -> str:
        """Hand the message to the server for exactly `to.envelope` (the envelope is never read from headers);
        returns the server's answer. `before_end(finish)` is awaited after the content; it calls `finish` (which
        writes the line that ends the data) or raises, and then the message is abandoned, not delivered.
        Raises SendFailed, or what `before_end` raised."""
        async with self._slots:
            client = await self._client()
            try:
                if client.is_ehlo_or_helo_needed:
                    await client.ehlo()
                if to.needs_smtputf8 and not client.supports_extension("smtputf8"):
                    raise NoSmtpUtf8
                raw, options = _wire_format(email, to, eight_bit=client.supports_extension("8bitmime"))
                if self._signer is not None:
                    raw = self._signer.sign(LINE_END.sub(b"\r\n", raw))  # signed as it goes on the wire
                answer = await _transmit(client, sender, to, raw, options, before_end)
            except AnswerLost:
                client.close()
                raise
            except Abandoned as abandoned:
                client.close()  # in the middle of the data: dropping the connection makes the server discard it
                raise abandoned.cause from None
            except NoSmtpUtf8:
                self._release(client)
                raise SendFailed(
                    "the mail server does not take internationalised addresses (no SMTPUTF8)", retryable=False
                ) from None
            except aiosmtplib.SMTPRecipientRefused as exc:
                await self._discard(client)
                enhanced = ENHANCED_STATUS.match(exc.message or "")
                refused = (exc.code, enhanced.group(1) if enhanced else None)
                raise SendFailed(f"recipient refused: {exc.code}", retryable=exc.code < 500, refused=refused) from None
            except aiosmtplib.SMTPResponseException as exc:
                await self._discard(client)
                said = EMAIL_PATTERN.sub("[email]", exc.message[:200])
                raise SendFailed(f"SMTP {exc.code}: {said}", retryable=exc.code < 500) from None
            except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                await self._discard(client)
                raise SendFailed(f"SMTP server unreachable: {type(exc).__name__}", retryable=True) from None
            except BaseException:
                client.close()  # in the middle of the data: dropping the connection makes the server discard it
                raise
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


async def _transmit(
    client: aiosmtplib.SMTP,
    sender: str,
    to: Mailbox,
    raw: bytes,
    options: list[str],
    before_end: BeforeEnd,
) -> str:
    """MAIL, RCPT and DATA written out rather than through `sendmail`, so that `before_end` runs between the
    message's content and the line that ends it: a server accepts nothing before that line."""
    encoding = "utf-8" if to.needs_smtputf8 else "ascii"
    data = PERIOD_AT_LINE_START.sub(b"..", LINE_END.sub(b"\r\n", raw))  # RFC 5321: CRLF, dot transparency
    if client.supports_extension("size"):
        options = [f"SIZE={len(data)}", *options]
    await client.mail(sender, options=options, encoding=encoding)
    await client.rcpt(to.envelope, encoding=encoding)
    start = await client.execute_command(b"DATA")
    if start.code != 354:
        raise aiosmtplib.SMTPDataError(start.code, start.message)
    client.protocol.write(data)
    protocol, finished = client.protocol, []

    def finish() -> None:
        # aiosmtplib drops an answer that arrives while it expects none (its own data command sets this flag
        # before the write). This answer can come before `read_response` below is reached: the hand-over
        # still waits for the database's answer to its COMMIT.
        protocol._response_pending = True
        protocol.write(b".\r\n")
        finished.append(True)

    try:
        await before_end(finish)
    except Exception as exc:
        # Not the mail server's failure (a database error can be an OSError too): abandon the message as it is.
        raise Abandoned(exc) from exc
    if not finished:
        raise RuntimeError("the hand-over returned without ending the data")
    try:
        answer = await client.protocol.read_response(timeout=client.timeout)
    except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError, OSError, TimeoutError) as exc:
        raise AnswerLost(f"no answer from the mail server after the message: {type(exc).__name__}") from None
    if answer.code != 250:
        raise aiosmtplib.SMTPDataError(answer.code, answer.message)
    return answer.message


def _wire_format(email: OutgoingEmail, to: Mailbox, *, eight_bit: bool) -> tuple[bytes, list[str]]:
    """The message's bytes and the MAIL FROM options they need."""
    options = (["SMTPUTF8"] if to.needs_smtputf8 else []) + (["BODY=8BITMIME"] if eight_bit else [])
    return email.as_bytes(eight_bit=eight_bit), options
