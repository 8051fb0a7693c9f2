"""The Temporal peer's worker process (bench/peer.py): runs the Offboard workflow, whose one activity renders and
sends an email (bench/peer_email.py).

python bench/peer_worker.py --address 127.0.0.1:7233 --smtp-port 1025
"""

import argparse
import asyncio

from peer_email import EmailSender
from peer_workflow import Offboard
from temporalio import activity
from temporalio.client import Client
from temporalio.worker import Worker

TASK_QUEUE = "offboarding"


async def main(address: str, smtp_port: int) -> None:
    client = await Client.connect(address)
    sender = EmailSender(smtp_port)

    @activity.defn(name="send_email")
    async def send_email(c: dict) -> str:
        return await sender.send(c)

    worker = Worker(client, task_queue=TASK_QUEUE, workflows=[Offboard], activities=[send_email])
    await worker.run()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--address", required=True)
    parser.add_argument("--smtp-port", type=int, required=True)
    args = parser.parse_args()
    asyncio.run(main(args.address, args.smtp_port))
