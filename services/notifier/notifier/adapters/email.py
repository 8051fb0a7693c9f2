"""Email over SMTP (aiosmtplib): building the MIME message and handing it to the mail server."""

import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

import aiosmtplib

from notifier.adapters.rendering import Rendered


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
    email = EmailMessage()
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
    def __init__(self, config: SmtpConfig) -> None:
        self._config = config

    async def send(self, email: EmailMessage) -> str:
        """Hand the message to the server; returns its answer. Raises SendFailed."""
        c = self._config
        try:
            _, answer = await aiosmtplib.send(
                email,
                hostname=c.host,
                port=c.port,
                start_tls=c.starttls,
                use_tls=c.tls,
                username=c.username,
                password=c.password,
                timeout=c.timeout,
                tls_context=ssl.create_default_context() if c.tls or c.starttls else None,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            permanent = all(500 <= r.code < 600 for r in exc.recipients)
            raise SendFailed(f"recipient refused: {exc.recipients[0].code}", retryable=not permanent) from None
        except aiosmtplib.SMTPResponseException as exc:
            raise SendFailed(f"SMTP {exc.code}: {exc.message[:200]}", retryable=exc.code < 500) from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise SendFailed(f"SMTP server unreachable: {type(exc).__name__}", retryable=True) from None
        return answer
