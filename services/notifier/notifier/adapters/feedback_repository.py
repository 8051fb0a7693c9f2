"""Delivery feedback in the database: find the delivery a report is about, write the feedback once, mark the
delivery, suppress the address. Every method runs in the caller's transaction; each statement's text never
changes, so it is compiled and prepared once (a report costs its round trips, not SQLAlchemy's compiler)."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from notifier.domain.feedback import STATUS_BY_KIND, Feedback, effective_kind, suppression_scope

# A delivery's status after the fact: only one that went out (or may have) becomes bounced or complained.
WENT_OUT = ("sent", "unconfirmed", "failed", "bounced", "complained")
ADDRESSED = "id, journey_id, recipient_hash, subscription_id, customer_id, step"
BY_ID = sa.text(f"SELECT {ADDRESSED} FROM deliveries WHERE id = :id")  # noqa: S608 (a constant)
BY_MESSAGE_ID = sa.text(
    f"SELECT {ADDRESSED} FROM deliveries WHERE provider_message_id = ANY(CAST(:ids AS text[])) LIMIT 1"  # noqa: S608
)
LATEST_TO = sa.text(
    f"""SELECT {ADDRESSED} FROM deliveries
    WHERE recipient_hash = :hash AND status = ANY(CAST(:went_out AS text[])) ORDER BY id DESC LIMIT 1"""  # noqa: S608
)
SOFTLY_SINCE = sa.text("SELECT min(occurred_at) FROM delivery_feedback WHERE recipient_hash = :hash AND kind = 'soft'")
WRITE = sa.text(
    """
    INSERT INTO delivery_feedback (delivery_id, recipient_hash, kind, reason_code, source, occurred_at)
    VALUES (:delivery_id, :hash, :kind, :code, :source, :at)
    ON CONFLICT ON CONSTRAINT uq_delivery_feedback_once DO NOTHING
    RETURNING id
    """
)
MARK = sa.text(
    """
    UPDATE deliveries SET feedback_kind = :kind, feedback_code = :code, updated_at = now(),
        status = CASE WHEN CAST(:status AS text) IS NOT NULL AND status = ANY(CAST(:went_out AS text[]))
                      THEN CAST(:status AS text) ELSE status END
    WHERE id = :id
    """
)
# A wider scope replaces a narrower one (an unsubscribed address that bounces); `all` stays.
SUPPRESS = sa.text(
    """
    INSERT INTO suppressions (recipient_hash, scope, reason, delivery_id) VALUES (:hash, :scope, :reason, :delivery_id)
    ON CONFLICT (recipient_hash) DO UPDATE SET scope = excluded.scope, reason = excluded.reason,
        delivery_id = excluded.delivery_id
    WHERE suppressions.scope <> 'all'
    """
)


@dataclass(frozen=True)
class Addressed:
    """The delivery a report is about: its id, where it belongs, and its address's hash (None once erased)."""

    id: int
    journey_id: str
    recipient_hash: str | None
    subscription_id: str = ""
    customer_id: str = ""
    step: str = ""


class FeedbackRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def find(
        self, *, delivery_id: int | None, message_ids: tuple[str, ...] = (), recipient_hash: str | None = None
    ) -> Addressed | None:
        """By the return path's delivery id, else by the Message-ID the report quotes, else the latest email
        that went out to the address (a provider that names only the address)."""
        if delivery_id is not None:
            found = await self.session.execute(BY_ID, {"id": delivery_id})
        elif message_ids:
            found = await self.session.execute(BY_MESSAGE_ID, {"ids": list(message_ids)})
        elif recipient_hash:
            found = await self.session.execute(LATEST_TO, {"hash": recipient_hash, "went_out": list(WENT_OUT)})
        else:
            return None
        row = found.first()
        return Addressed(**row._asdict()) if row else None

    async def softly_bouncing_since(self, recipient_hash: str) -> datetime | None:
        """When the address first bounced softly (None: never)."""
        return await self.session.scalar(SOFTLY_SINCE, {"hash": recipient_hash})

    async def record(self, delivery: Addressed, feedback: Feedback, *, soft_window: timedelta) -> str | None:
        """Write the feedback (once per delivery, kind and source); returns the kind written (a soft bounce
        past the window counts as hard), or None when it was written before."""
        since = None
        if feedback.kind == "soft" and delivery.recipient_hash:
            since = await self.softly_bouncing_since(delivery.recipient_hash)
        kind = effective_kind(feedback, softly_bouncing_since=since, window=soft_window)
        written = await self.session.scalar(
            WRITE,
            {
                "delivery_id": delivery.id,
                "hash": delivery.recipient_hash,
                "kind": kind,
                "code": feedback.reason_code,
                "source": feedback.source,
                "at": feedback.occurred_at,
            },
        )
        if written is None:
            return None
        await self.session.execute(
            MARK,
            {
                "id": delivery.id,
                "kind": kind,
                "code": feedback.reason_code,
                "status": STATUS_BY_KIND.get(kind),
                "went_out": list(WENT_OUT),
            },
        )
        scope = suppression_scope(kind)
        if scope and delivery.recipient_hash:
            await self.suppress(delivery.recipient_hash, scope, f"{kind} {feedback.reason_code}", delivery.id)
        return kind

    async def suppress(self, recipient_hash: str, scope: str, reason: str, delivery_id: int | None) -> None:
        await self.session.execute(
            SUPPRESS, {"hash": recipient_hash, "scope": scope, "reason": reason[:200], "delivery_id": delivery_id}
        )
