"""The outbox table and how a handler adds a message to it (inside its own transaction)."""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from shared import signing, tracing
from shared.db.engine import insert_rows, metadata
from shared.events.envelope import CloudEvent

outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
    sa.Column("topic", sa.Text, nullable=False),
    sa.Column("key", sa.Text, nullable=True),
    sa.Column("value", sa.LargeBinary, nullable=False),
    sa.Column("headers", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index("ix_outbox_unpublished", "id", postgresql_where=sa.text("published_at IS NULL")),
    sa.Index("ix_outbox_published_at", "published_at"),
)


async def add_to_outbox(
    session: AsyncSession, *, topic: str, key: str | None, event: CloudEvent, mac_key: bytes | None = None
) -> None:
    """Queue `event` for `topic` in the session's transaction: published only if that transaction commits."""
    await add_many_to_outbox(session, [(topic, key, event)], mac_keys=[mac_key])


async def add_many_to_outbox(
    session: AsyncSession,
    rows: list[tuple[str, str | None, CloudEvent]],
    *,
    mac_keys: Sequence[bytes | None] = (),
) -> None:
    """The same for several (topic, key, event) rows in one statement. A row with a MAC key in `mac_keys` (in
    the order of `rows`) is signed with it (shared.signing): what internal topics carry. With traces on, each
    row keeps the trace context of its key (shared.tracing), which the relay sends on as the record's
    `traceparent`."""
    values = [{"topic": t, "key": k, "value": e.to_json_bytes(), "headers": []} for t, k, e in rows]
    for row, mac_key in zip(values, mac_keys, strict=False):
        if mac_key is not None:
            row["headers"] = [[signing.HEADER, signing.signature(mac_key, row["key"], row["value"])]]
    if tracing.is_recording():
        for row in values:
            row["headers"] = row["headers"] + tracing.headers_for(row["key"])
    await insert_rows(session, sa.insert(outbox), values)
