"""The deliveries table as the send queue: accept commands, claim, settle, record, forget. A batch of any size
is one statement whose text never changes (arrays, not VALUES lists as long as the batch), so each is compiled
and prepared once; every method runs in the caller's transaction."""

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, insert
from sqlalchemy.ext.asyncio import AsyncSession

from notifier.adapters.tables import deliveries, delivery_feedback, suppressions, unsubscribe_tokens
from notifier.domain.delivery import Delivery, Known, Outcome

COLUMNS = ", ".join(f.name for f in fields(Delivery))
TYPED = {"recipient": JSONB, "facts": JSONB}

CLAIM = sa.text(
    f"""
    UPDATE deliveries SET status = 'sending', claimed_at = :now, claims = claims + 1, handed_over_at = NULL,
                          updated_at = now()
    WHERE id IN (SELECT id FROM deliveries WHERE status = 'queued' ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED)
    RETURNING {COLUMNS}
    """  # noqa: S608 (COLUMNS is a constant, not input)
).columns(**TYPED)
INTERRUPTED = sa.text(
    f"""
    UPDATE deliveries SET status = 'unconfirmed', reason = :reason, updated_at = now()
    WHERE status = 'sending' AND claimed_at < :before AND pg_postmaster_start_time() < :started_before
      AND handed_over_at IS NOT NULL
    RETURNING {COLUMNS}
    """  # noqa: S608 (COLUMNS is a constant, not input)
).columns(**TYPED)
# Never handed over: the mail server discarded whatever it got of the message, so it can go out again.
# Both sweeps also wait `started_before` after the database's last start: while the database was down a live
# sender could record nothing, and one whose hand-over COMMIT was lost in the crash has delivered its message
# (hand_over_commit.py) and records it once the database is back.
REQUEUE = sa.text(
    """
    UPDATE deliveries SET status = 'queued', claimed_at = NULL, updated_at = now()
    WHERE status = 'sending' AND claimed_at < :before AND pg_postmaster_start_time() < :started_before
      AND handed_over_at IS NULL
    RETURNING id
    """
)
HANDED_OVER = sa.text(
    """
    SELECT d.id FROM deliveries AS d
    JOIN unnest(CAST(:ids AS bigint[]), CAST(:claims AS int[])) AS h(id, claims) ON d.id = h.id
    WHERE d.claims = h.claims AND d.handed_over_at IS NOT NULL
    """
)
RELEASE = sa.text("UPDATE deliveries SET status = 'queued', claimed_at = NULL WHERE id = ANY(CAST(:ids AS bigint[]))")
SENT = sa.text(
    f"""
    SELECT {COLUMNS} FROM deliveries
    WHERE status = 'sent' AND (journey_id, step) IN (
        SELECT * FROM unnest(CAST(:journeys AS text[]), CAST(:steps AS text[])))
    """  # noqa: S608 (COLUMNS is a constant, not input)
).columns(**TYPED)
OPEN_MARKETING_PAUSE = sa.text("SELECT reason FROM sending_pauses WHERE stream = 'marketing' AND resumed_at IS NULL")
SUPPRESSED = sa.text(
    "SELECT recipient_hash, scope FROM suppressions WHERE recipient_hash = ANY(CAST(:hashes AS text[]))"
)
LAST_MARKETING = sa.text(
    """
    SELECT recipient_hash, max(sent_at) FROM deliveries
    WHERE recipient_hash = ANY(CAST(:hashes AS text[])) AND category = 'marketing' AND status = 'sent'
    GROUP BY recipient_hash
    """
)
ACCEPT = sa.text(
    f"""
    INSERT INTO deliveries (command_id, journey_id, subscription_id, customer_id, step, attempt, message, channel,
                            category, segment, marketing_consent, recipient, recipient_hash, facts, status, reason,
                            provider_message_id, traceparent)
    SELECT c.command_id, c.journey_id, c.subscription_id, c.customer_id, c.step, c.attempt, c.message, c.channel,
           c.category, c.segment, c.marketing_consent, CAST(c.recipient AS jsonb), c.recipient_hash,
           CAST(c.facts AS jsonb), c.status, c.reason, c.provider_message_id, c.traceparent
    FROM unnest(CAST(:command_id AS text[]), CAST(:journey_id AS text[]), CAST(:subscription_id AS text[]),
                CAST(:customer_id AS text[]), CAST(:step AS text[]), CAST(:attempt AS int[]),
                CAST(:message AS text[]), CAST(:channel AS text[]), CAST(:category AS text[]),
                CAST(:segment AS text[]), CAST(:marketing_consent AS boolean[]), CAST(:recipient AS text[]),
                CAST(:recipient_hash AS text[]), CAST(:facts AS text[]), CAST(:status AS text[]),
                CAST(:reason AS text[]), CAST(:provider_message_id AS text[]), CAST(:traceparent AS text[]))
         AS c(command_id, journey_id, subscription_id, customer_id, step, attempt, message, channel, category,
              segment, marketing_consent, recipient, recipient_hash, facts, status, reason, provider_message_id,
              traceparent)
    ON CONFLICT (command_id) DO NOTHING
    RETURNING {COLUMNS}
    """  # noqa: S608 (COLUMNS is a constant, not input)
).columns(**TYPED)
# Only a claim that still holds is recorded: a delivery queued again (or claimed again) after its lease is not
# this round's any more. An `unconfirmed` one is: its process was only slow, and now knows what happened.
RECORD = sa.text(
    """
    UPDATE deliveries AS d
    SET status = o.status, reason = o.reason, provider_message_id = o.provider_message_id, subject = o.subject,
        sent_at = o.sent_at, updated_at = now()
    FROM unnest(CAST(:ids AS bigint[]), CAST(:claims AS int[]), CAST(:statuses AS text[]),
                CAST(:reasons AS text[]), CAST(:provider_ids AS text[]), CAST(:subjects AS text[]),
                CAST(:sent AS timestamptz[]))
         AS o(id, claims, status, reason, provider_message_id, subject, sent_at)
    WHERE d.id = o.id AND d.claims = o.claims AND d.status IN ('sending', 'unconfirmed')
    RETURNING d.id
    """
)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class UsedToken:
    """The journey whose marketing message carried an unsubscribe link that was just used."""

    journey_id: str
    subscription_id: str
    customer_id: str
    first: bool


class DeliveryRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def accept(self, rows: Sequence[dict]) -> list[Delivery]:
        """Insert new deliveries (dicts of the ACCEPT columns); a command id seen before is left alone.
        Returns the deliveries actually inserted."""
        if not rows:
            return []
        columns = {name: [row[name] for row in rows] for name in rows[0]}
        for name in ("recipient", "facts"):
            columns[name] = [None if v is None else json.dumps(v, ensure_ascii=False) for v in columns[name]]
        return await self._deliveries(ACCEPT, columns)

    async def sent(self, keys: set[tuple[str, str]]) -> dict[tuple[str, str], Delivery]:
        """(journey, step) -> the delivery that already went out, for those of `keys` that did."""
        if not keys:
            return {}
        journeys, steps = zip(*keys, strict=True)
        found = await self._deliveries(SENT, {"journeys": list(journeys), "steps": list(steps)})
        return {(d.journey_id, d.step): d for d in found}

    async def known(self, batch: list[Delivery], *, marketing_hashes: set[str]) -> Known:
        """What the decisions about `batch` need: what went out already, which addresses are suppressed (every
        email's: a bounced address gets nothing), and the marketing cap for addresses that may get marketing."""
        sent = await self.sent({(d.journey_id, d.step) for d in batch})
        addresses = sorted({d.recipient_hash for d in batch if d.channel == "email" and d.recipient_hash})
        suppressed = dict((await self.session.execute(SUPPRESSED, {"hashes": addresses})).all()) if addresses else {}
        if not marketing_hashes:
            return Known(sent, suppressed, {})
        last = dict((await self.session.execute(LAST_MARKETING, {"hashes": sorted(marketing_hashes)})).all())
        paused = await self.session.scalar(OPEN_MARKETING_PAUSE)
        return Known(sent, suppressed, last, marketing_paused=paused)

    async def claim(self, limit: int, *, now: datetime) -> list[Delivery]:
        """Mark up to `limit` queued deliveries `sending` (replicas share the queue through SKIP LOCKED)."""
        return await self._deliveries(CLAIM, {"now": now, "limit": limit})

    async def release(self, batch: list[Delivery]) -> None:
        """Put claimed deliveries back in the queue."""
        if batch:
            await self.session.execute(RELEASE, {"ids": [d.id for d in batch]})

    async def mark_interrupted(
        self, *, claimed_before: datetime, started_before: datetime, reason: str
    ) -> list[Delivery]:
        """Deliveries a crashed process left `sending` after their hand-over become `unconfirmed`."""
        params = {"before": claimed_before, "started_before": started_before, "reason": reason}
        return await self._deliveries(INTERRUPTED, params)

    async def requeue_unsent(self, *, claimed_before: datetime, started_before: datetime) -> int:
        """Deliveries a crashed process left `sending` before their hand-over go back to the queue."""
        params = {"before": claimed_before, "started_before": started_before}
        return len((await self.session.execute(REQUEUE, params)).all())

    async def handed_over(self, batch: Sequence[Delivery]) -> set[int]:
        """The ids of these deliveries whose hand-over is recorded for their current claim (a claim clears it)."""
        params = {"ids": [d.id for d in batch], "claims": [d.claims for d in batch]}
        return set((await self.session.execute(HANDED_OVER, params)).scalars())

    async def record(self, done: list[tuple[Delivery, Outcome]], *, now: datetime) -> set[int]:
        """Store outcomes; returns the ids stored (not those whose claim was lost meanwhile)."""
        outcomes = [o for _, o in done]
        recorded = await self.session.execute(
            RECORD,
            {
                "ids": [d.id for d, _ in done],
                "claims": [d.claims for d, _ in done],
                "statuses": [o.status for o in outcomes],
                "reasons": [o.reason for o in outcomes],
                "provider_ids": [o.provider_message_id for o in outcomes],
                "subjects": [o.subject for o in outcomes],
                "sent": [now if o.status == "sent" else None for o in outcomes],
            },
        )
        return set(recorded.scalars())

    async def add_unsubscribe_token(self, token: str, delivery: Delivery) -> None:
        """Only the token's hash is stored."""
        await self.session.execute(
            insert(unsubscribe_tokens).values(
                token_hash=hash_token(token), recipient_hash=delivery.recipient_hash, journey_id=delivery.journey_id
            )
        )

    async def use_unsubscribe_token(self, token: str, *, now: datetime) -> UsedToken | None:
        """Mark the token used and suppress its address; None for an unknown token. `first` says whether this
        use is the first (a second click, or the mail client's one-click after the button, changes nothing)."""
        first = (
            await self.session.execute(
                sa.update(unsubscribe_tokens)
                .where(unsubscribe_tokens.c.token_hash == hash_token(token), unsubscribe_tokens.c.used_at.is_(None))
                .values(used_at=now)
                .returning(unsubscribe_tokens.c.recipient_hash, unsubscribe_tokens.c.journey_id)
            )
        ).first()
        row = (
            first
            or (
                await self.session.execute(
                    sa.select(unsubscribe_tokens.c.recipient_hash, unsubscribe_tokens.c.journey_id).where(
                        unsubscribe_tokens.c.token_hash == hash_token(token)
                    )
                )
            ).first()
        )
        if row is None:
            return None
        await self.session.execute(
            insert(suppressions)
            .values(recipient_hash=row.recipient_hash, reason="one-click unsubscribe")
            .on_conflict_do_nothing()
        )
        ids = (
            await self.session.execute(
                sa.select(deliveries.c.subscription_id, deliveries.c.customer_id)
                .where(deliveries.c.journey_id == row.journey_id)
                .limit(1)
            )
        ).one()
        return UsedToken(row.journey_id, ids.subscription_id, ids.customer_id, first=first is not None)

    async def forget_journey(self, journey_id: str) -> list[Delivery]:
        """Erase a journey's personal data; its deliveries still queued become `erased` and are returned."""
        unsent = await self._deliveries(
            sa.update(deliveries)
            .where(deliveries.c.journey_id == journey_id, deliveries.c.status == "queued")
            .values(status="erased", reason="personal data erased before sending", updated_at=sa.func.now())
            .returning(*(deliveries.c[f.name] for f in fields(Delivery))),
            {},
        )
        await self.session.execute(
            sa.update(deliveries)
            .where(deliveries.c.journey_id == journey_id)
            .values(
                recipient=None,
                recipient_hash=None,
                subject=None,
                # The survey link and what the customer wrote for help go with the recipient.
                facts=sa.text(
                    "((facts #- CAST('{help,message}' AS text[])) #- CAST('{help,phone}' AS text[])) - CAST('survey_url' AS text)"
                ),
                updated_at=sa.func.now(),
            )
        )
        await self.session.execute(sa.delete(unsubscribe_tokens).where(unsubscribe_tokens.c.journey_id == journey_id))
        # What came back about its emails stays (kinds, codes, dates), not whose address it was. A suppression
        # keeps its hash: nothing must go to a bounced address again, whichever journey it comes from.
        await self.session.execute(
            sa.update(delivery_feedback)
            .where(
                delivery_feedback.c.delivery_id.in_(
                    sa.select(deliveries.c.id).where(deliveries.c.journey_id == journey_id)
                )
            )
            .values(recipient_hash=None)
        )
        return unsent

    async def _deliveries(self, statement, params: dict) -> list[Delivery]:
        return [Delivery(**row._mapping) for row in await self.session.execute(statement, params)]
