"""Delivery feedback in the database: find the delivery a report is about, write the feedback once, mark the
delivery, suppress the address. Every method runs in the caller's transaction."""

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notifier.adapters.tables import deliveries, delivery_feedback, suppressions
from notifier.domain.feedback import STATUS_BY_KIND, Feedback, effective_kind, suppression_scope

# A delivery's status after the fact: only one that went out (or may have) becomes bounced or complained.
WENT_OUT = ("sent", "unconfirmed", "failed", "bounced", "complained")


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
        columns = (
            deliveries.c.id,
            deliveries.c.journey_id,
            deliveries.c.recipient_hash,
            deliveries.c.subscription_id,
            deliveries.c.customer_id,
            deliveries.c.step,
        )
        if delivery_id is not None:
            query = sa.select(*columns).where(deliveries.c.id == delivery_id)
        elif message_ids:
            query = sa.select(*columns).where(deliveries.c.provider_message_id.in_(message_ids)).limit(1)
        elif recipient_hash:
            query = (
                sa.select(*columns)
                .where(deliveries.c.recipient_hash == recipient_hash, deliveries.c.status.in_(WENT_OUT))
                .order_by(deliveries.c.id.desc())
                .limit(1)
            )
        else:
            return None
        row = (await self.session.execute(query)).first()
        return Addressed(**row._asdict()) if row else None

    async def record(self, delivery: Addressed, feedback: Feedback, *, soft_window: timedelta) -> str | None:
        """Write the feedback (once per delivery, kind and source); returns the kind written (a soft bounce
        past the window counts as hard), or None when it was written before."""
        since = None
        if feedback.kind == "soft" and delivery.recipient_hash:
            since = await self.session.scalar(
                sa.select(sa.func.min(delivery_feedback.c.occurred_at)).where(
                    delivery_feedback.c.recipient_hash == delivery.recipient_hash, delivery_feedback.c.kind == "soft"
                )
            )
        kind = effective_kind(feedback, softly_bouncing_since=since, window=soft_window)
        written = await self.session.scalar(
            insert(delivery_feedback)
            .values(
                delivery_id=delivery.id,
                recipient_hash=delivery.recipient_hash,
                kind=kind,
                reason_code=feedback.reason_code,
                source=feedback.source,
                occurred_at=feedback.occurred_at,
            )
            .on_conflict_do_nothing(constraint="uq_delivery_feedback_once")
            .returning(delivery_feedback.c.id)
        )
        if written is None:
            return None
        status = STATUS_BY_KIND.get(kind)
        values = {"feedback_kind": kind, "feedback_code": feedback.reason_code, "updated_at": sa.func.now()}
        if status:
            values |= {"status": sa.case((deliveries.c.status.in_(WENT_OUT), status), else_=deliveries.c.status)}
        await self.session.execute(sa.update(deliveries).where(deliveries.c.id == delivery.id).values(**values))
        scope = suppression_scope(kind)
        if scope and delivery.recipient_hash:
            await self.suppress(delivery.recipient_hash, scope, f"{kind} {feedback.reason_code}", delivery.id)
        return kind

    async def suppress(self, recipient_hash: str, scope: str, reason: str, delivery_id: int | None) -> None:
        """Suppress an address; a wider scope replaces a narrower one (an unsubscribed address that bounces)."""
        statement = insert(suppressions).values(
            recipient_hash=recipient_hash, scope=scope, reason=reason[:200], delivery_id=delivery_id
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[suppressions.c.recipient_hash],
                set_={
                    "scope": statement.excluded.scope,
                    "reason": statement.excluded.reason,
                    "delivery_id": statement.excluded.delivery_id,
                },
                where=suppressions.c.scope != "all",
            )
        )
