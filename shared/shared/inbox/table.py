"""The inbox table and the claim that tells new messages from redelivered ones."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.engine import metadata

inbox = sa.Table(
    "inbox",
    metadata,
    sa.Column("consumer", sa.Text, primary_key=True),
    sa.Column("source", sa.Text, primary_key=True),
    sa.Column("message_id", sa.Text, primary_key=True),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Index("ix_inbox_received_at", "received_at"),
)


async def claim_new(session: AsyncSession, consumer: str, identities: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Record (source, id) identities for `consumer`; return those not seen before.

    Runs in the caller's transaction: if it rolls back, the claims go with it, so a message counts as
    processed exactly when its effects are committed.
    """
    if not identities:
        return set()
    unique = list(dict.fromkeys(identities))
    result = await session.execute(
        insert(inbox)
        .values([{"consumer": consumer, "source": s, "message_id": i} for s, i in unique])
        .on_conflict_do_nothing()
        .returning(inbox.c.source, inbox.c.message_id)
    )
    return {(row.source, row.message_id) for row in result}
