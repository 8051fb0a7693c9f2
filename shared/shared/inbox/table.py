"""The inbox table and the claim that tells new messages from redelivered ones, and from impostors.

A message is known by its CloudEvent identity (source, id). Its fingerprint (a hash of the whole event) tells
a redelivery (same content: skipped) from a different event that reuses an identity (a conflicting
duplicate: the first one stays, the second is dead-lettered).
"""

import hashlib
import json
from collections.abc import Callable
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db.engine import metadata
from shared.events.envelope import CloudEvent

inbox = sa.Table(
    "inbox",
    metadata,
    sa.Column("consumer", sa.Text, primary_key=True),
    sa.Column("source", sa.Text, primary_key=True),
    sa.Column("message_id", sa.Text, primary_key=True),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    # NULL for rows written before fingerprints existed: those count as the same content.
    sa.Column("fingerprint", sa.Text, nullable=True),
    sa.Index("ix_inbox_received_at", "received_at"),
)

Identity = tuple[str, str]

# A batch's identities in one statement whose text never changes (arrays, not a VALUES list as long as the
# batch), so it is compiled and prepared once.
CLAIM = sa.text(
    """
    INSERT INTO inbox (consumer, source, message_id, fingerprint)
    SELECT :consumer, n.source, n.message_id, n.fingerprint
    FROM unnest(CAST(:sources AS text[]), CAST(:ids AS text[]), CAST(:prints AS text[])) AS n(source, message_id, fingerprint)
    ON CONFLICT DO NOTHING
    RETURNING source, message_id
    """
)


def fingerprint(event: CloudEvent) -> str:
    """The same for the same event in either content mode; different as soon as any attribute or data differs."""
    canonical = json.dumps(event.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


Verdict = Literal["fresh", "duplicate", "conflicting"]


Fingerprint = Callable[[CloudEvent], str]


async def claim_new(
    session: AsyncSession, consumer: str, events: list[CloudEvent], *, fingerprint: Fingerprint = fingerprint
) -> list[Verdict]:
    """Record the events' identities for `consumer`; for each event, in order: `fresh` (handle it), `duplicate`
    (seen before with the same content: skip it) or `conflicting` (seen before with other content).

    Runs in the caller's transaction: if it rolls back, the claims go with it, so a message counts as
    processed exactly when its effects are committed. One statement, and a second only when some identity
    was seen before. `fingerprint` decides what "the same content" is (the whole event unless a consumer says
    otherwise: shared.events.identity).
    """
    if not events:
        return []
    prints = [fingerprint(e) for e in events]
    first: dict[Identity, str] = {}
    for event, print_ in zip(events, prints, strict=True):
        first.setdefault(event.identity, print_)
    result = await session.execute(
        CLAIM,
        {
            "consumer": consumer,
            "sources": [s for s, _ in first],
            "ids": [i for _, i in first],
            "prints": list(first.values()),
        },
    )
    fresh = {(row.source, row.message_id) for row in result}
    seen = [identity for identity in first if identity not in fresh]
    known: dict[Identity, str | None] = {}
    if seen:
        rows = await session.execute(
            sa.select(inbox.c.source, inbox.c.message_id, inbox.c.fingerprint).where(
                inbox.c.consumer == consumer, sa.tuple_(inbox.c.source, inbox.c.message_id).in_(seen)
            )
        )
        known = {(row.source, row.message_id): row.fingerprint for row in rows}
    verdicts: list[Verdict] = []
    for event, print_ in zip(events, prints, strict=True):
        identity = event.identity
        if identity in fresh:
            fresh.discard(identity)  # the same event twice in one batch: handle it once
            verdicts.append("fresh")
            continue
        reference = first[identity] if identity not in known else known[identity]
        verdicts.append("duplicate" if reference in (None, print_) else "conflicting")
    return verdicts
