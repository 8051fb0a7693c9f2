"""Local SMTP sink: accepts every message on 127.0.0.1 and keeps it in a Maildir (the dev stand-in for a mail provider).

aiosmtpd's Mailbox handler records the envelope (X-MailFrom, X-RcptTo) in each stored message; this one also
writes the envelope sender as `Return-Path`, as the final mail server does, and stamps the arrival time
(X-Sink-Received-At).
"""

import argparse
import asyncio
import signal
import time
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox


class StampingMailbox(Mailbox):
    """Adds X-Sink-Received-At (Unix time) so benchmarks can measure when a message arrived."""

    def prepare_message(self, session, envelope):
        message = super().prepare_message(session, envelope)
        message["Return-Path"] = f"<{envelope.mail_from or ''}>"
        message["X-Sink-Received-At"] = f"{time.time():.6f}"
        return message


async def serve(host: str, port: int, maildir: Path) -> None:
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    # SMTPUTF8 on, as on the mail services customers use: internationalised addresses (RFC 6531) are taken.
    controller = Controller(
        StampingMailbox(str(maildir)),
        hostname=host,
        port=port,
        data_size_limit=25 * 1024 * 1024,
        enable_SMTPUTF8=True,
    )
    controller.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    controller.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1025)
    parser.add_argument("--maildir", type=Path, required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.host, args.port, args.maildir))


if __name__ == "__main__":
    main()
