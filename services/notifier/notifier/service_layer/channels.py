"""The side effects: one delivery in, what the channel did out. Email renders the message and hands it to the
SMTP server; webhook posts the journey's facts to the configured URL. Each calls `hand_over` at the last moment
before the channel can accept the message, and raises what the channel raised (SendFailed, RenderError,
UndeliverableAddress); the Sender turns that into an Outcome."""

from collections.abc import Awaitable, Callable

from notifier.adapters.context import message_context
from notifier.adapters.email import build_email, mailbox, message_id
from notifier.adapters.rendering import Renderer
from notifier.adapters.smtp import SmtpChannel
from notifier.adapters.webhook import WebhookChannel
from notifier.config import Settings
from notifier.domain.delivery import Delivery, Outcome
from notifier.domain.return_path import return_path

# Records the hand-over; calls its argument (the end of the SMTP data; None for a webhook) once it is committed.
HandOver = Callable[[Callable[[], None] | None], Awaitable[None]]


class Channels:
    def __init__(self, *, settings: Settings, renderer: Renderer, smtp: SmtpChannel, webhook: WebhookChannel) -> None:
        self._settings, self._renderer, self._smtp, self._webhook = settings, renderer, smtp, webhook
        self._return_path_key = settings.return_path_key.get_secret_value().encode()

    def category_of(self, delivery: Delivery) -> str:
        """The message file's own tag (transactional or marketing)."""
        recipient = delivery.recipient or {}
        return self._renderer.category_of(delivery.message, recipient.get("locale"), delivery.segment)

    async def email(self, delivery: Delivery, *, unsubscribe_url: str | None, hand_over: HandOver) -> Outcome:
        recipient = delivery.recipient
        rendered = self._renderer.render(
            message=delivery.message,
            locale=recipient.get("locale"),
            segment=delivery.segment,
            context=message_context(delivery, self._settings),
            unsubscribe_url=unsubscribe_url,
        )
        msg_id = message_id(delivery.command_id, self._settings.message_id_domain)
        to = mailbox(recipient["email"], recipient.get("name"))
        outgoing = build_email(
            rendered=rendered,
            sender=self._settings.mail_from,
            to=to,
            msg_id=msg_id,
            unsubscribe_url=unsubscribe_url,
            journey_id=delivery.journey_id,
            step=delivery.step,
        )
        # The envelope sender is this message's own return path: what bounces comes back naming the delivery.
        envelope_sender = return_path(delivery.id, key=self._return_path_key, domain=self._settings.bounce_domain)
        server_answer = await self._smtp.send(outgoing, sender=envelope_sender, to=to, before_end=hand_over)
        return Outcome(
            "sent",
            "succeeded",
            provider_message_id=msg_id,
            data={"provider_message_id": msg_id, "channel": "email", "server": server_answer[:200]},
            subject=rendered.subject,
        )

    async def webhook(self, delivery: Delivery, *, hand_over: HandOver) -> Outcome:
        url = self._settings.webhook_url_for(delivery.message)
        if url is None:
            # A deployment without a CRM or helpdesk hook: visible to support, and not a failed journey.
            return Outcome("skipped", "skipped", f"no webhook URL configured for {delivery.message}")
        payload = {
            "event": delivery.message,
            "journey_id": delivery.journey_id,
            "subscription_id": delivery.subscription_id,
            "customer_id": delivery.customer_id,
            "step": delivery.step,
            "segment": delivery.segment,
            "customer": delivery.recipient,
            "facts": delivery.facts,
        }
        await hand_over(None)  # a request cannot be cut short like SMTP data: from here on, a crash is unconfirmed
        receipt = await self._webhook.send(url, payload, delivery.command_id)
        return Outcome(
            "sent",
            "succeeded",
            provider_message_id=receipt,
            data={"provider_message_id": receipt, "channel": "webhook"},
        )
