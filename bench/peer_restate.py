"""The Restate peer's service (bench/peer.py): the same Offboard workflow as the Temporal peer's, on the Restate
Python SDK: each message rendered and sent in a journaled step (`ctx.run_typed`, bench/peer_email.py), then a
durable sleep. Served over HTTP/2 by hypercorn, as the SDK's templates do.

SMTP_PORT=1025 python -m hypercorn --bind 127.0.0.1:9080 peer_restate:app
"""

import os
from datetime import timedelta

import restate
from peer_email import MESSAGES, EmailSender

offboard = restate.Workflow("Offboard")
_sender: EmailSender | None = None


def _email_sender() -> EmailSender:
    global _sender  # one SMTP pool per process, made in the server's event loop
    if _sender is None:
        _sender = EmailSender(int(os.environ["SMTP_PORT"]))
    return _sender


@offboard.main()
async def run(ctx: restate.WorkflowContext, cancellation: dict) -> None:
    for message in MESSAGES:
        await ctx.run_typed(
            f"send {message}",
            _email_sender().send,
            restate.RunOptions(max_attempts=5),
            c={**cancellation, "message": message},
        )
    await ctx.sleep(timedelta(days=30))


app = restate.app([offboard])
