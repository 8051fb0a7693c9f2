"""What both peers' steps do (bench/peer_worker.py for Temporal, bench/peer_restate.py for Restate): render one
message with the notifier's own renderer and MIME builder and send it with its pooled SMTP client, so that what
differs from our system is the orchestration, not the email work."""

from types import SimpleNamespace

import common  # noqa: F401 (puts the project on the import path)

from notifier.adapters.context import message_context
from notifier.adapters.email import build_email, mailbox, message_id
from notifier.adapters.rendering import Renderer
from notifier.adapters.smtp import SmtpChannel, SmtpConfig
from notifier.config import SHIPPED_TEMPLATES, Settings

MESSAGES = ("cancellation_confirmation", "exit_survey_invitation")


class EmailSender:
    def __init__(self, smtp_port: int) -> None:
        self._settings = Settings()  # the notifier's defaults: brand, links, sender
        self._renderer = Renderer(SHIPPED_TEMPLATES, brand=Settings().brand())
        self._smtp = SmtpChannel(SmtpConfig(host="127.0.0.1", port=smtp_port))

    async def send(self, c: dict) -> str:
        """`c`: the cancellation's facts and `message`; returns the SMTP server's answer."""
        delivery = SimpleNamespace(
            recipient={"email": c["email"], "name": c["name"], "locale": "en", "timezone": c["timezone"]},
            facts={k: c[k] for k in ("plan", "cancelled_at", "effective_at")} | {"survey_url": c["survey_url"]},
            segment="b2c",
            subscription_id=c["subscription_id"],
        )
        context = message_context(delivery, self._settings)
        rendered = self._renderer.render(message=c["message"], locale="en", segment="b2c", context=context)
        to = mailbox(c["email"], c["name"])
        email = build_email(
            rendered=rendered,
            sender=self._settings.mail_from,
            to=to,
            msg_id=message_id(f"{c['subscription_id']}:{c['message']}", self._settings.message_id_domain),
            unsubscribe_url=None,
            journey_id=c["subscription_id"],
            step=c["message"],
        )
        return await self._smtp.send(email, sender="noreply@acme.example", to=to, before_end=_no_record)


async def _no_record(finish) -> None:
    """The peers keep no hand-over record (their engines retry the step as a whole): end the data at once."""
    finish()
