"""The peer's worker process (bench/peer.py): runs the Offboard workflow, and its one activity renders and sends
an email with the notifier's own renderer, MIME builder and pooled SMTP client, so that what differs from our
system is the orchestration, not the email work.

python bench/peer_worker.py --address 127.0.0.1:7233 --smtp-port 1025
"""

import argparse
import asyncio
from types import SimpleNamespace

import common  # noqa: F401 (puts the project on the import path)
from peer_workflow import Offboard
from temporalio import activity
from temporalio.client import Client
from temporalio.worker import Worker

from notifier.adapters.context import message_context
from notifier.adapters.email import build_email, mailbox, message_id
from notifier.adapters.rendering import Renderer
from notifier.adapters.smtp import SmtpChannel, SmtpConfig
from notifier.config import SHIPPED_TEMPLATES, Settings

TASK_QUEUE = "offboarding"


class Activities:
    def __init__(self, smtp_port: int) -> None:
        self._settings = Settings()  # the notifier's defaults: brand, links, sender
        self._renderer = Renderer(SHIPPED_TEMPLATES, brand=Settings().brand())
        self._smtp = SmtpChannel(SmtpConfig(host="127.0.0.1", port=smtp_port))

    @activity.defn(name="send_email")
    async def send_email(self, c: dict) -> str:
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


async def main(address: str, smtp_port: int) -> None:
    client = await Client.connect(address)
    activities = Activities(smtp_port)
    worker = Worker(client, task_queue=TASK_QUEUE, workflows=[Offboard], activities=[activities.send_email])
    await worker.run()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--address", required=True)
    parser.add_argument("--smtp-port", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(main(args.address, args.smtp_port))


async def _no_record(finish) -> None:
    """The peer keeps no hand-over record (Temporal retries the activity as a whole): end the data at once."""
    finish()
