"""A consumer process that dies by SIGKILL right after its database commit, before committing offsets."""

import asyncio
import os
import signal

import sqlalchemy as sa

from shared.db.engine import create_engine, create_session_factory
from shared.messaging.consumer import BatchConsumer
from shared.messaging.producer import create_producer

applied = sa.Table(
    "applied",
    sa.MetaData(),
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("message_id", sa.Text),
    sa.Column("subscription_id", sa.Text),
)


async def record(message, session):
    await session.execute(
        sa.insert(applied).values(message_id=message.event.id, subscription_id=message.event.data["sub"])
    )


async def die(_applied):
    os.kill(os.getpid(), signal.SIGKILL)


async def main():
    env = os.environ
    engine = create_engine(env["T_DATABASE_URL"], schema=env["T_SCHEMA"])
    producer = create_producer(env["T_BOOTSTRAP"], client_id="crasher")
    await producer.start()
    consumer = BatchConsumer(
        bootstrap_servers=env["T_BOOTSTRAP"],
        group_id=env["T_GROUP"],
        topics=[env["T_TOPIC"]],
        session_factory=create_session_factory(engine),
        handler=record,
        producer=producer,
        after_commit=die,
    )
    await consumer.start()
    await asyncio.wait_for(consumer.run(), timeout=45)


asyncio.run(main())
