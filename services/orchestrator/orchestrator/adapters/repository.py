"""Loading and saving journeys: the journey aggregate to and from its rows, always inside a transaction."""

import hashlib
import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from orchestrator.adapters.tables import audit_log, journey_steps, journey_timeline, journeys, reactivations
from orchestrator.domain.effects import Note
from orchestrator.domain.journey import Journey, Step
from orchestrator.domain.templates import StepSpec


def email_hash(email: str | None) -> str | None:
    return hashlib.sha256(email.strip().lower().encode()).hexdigest() if email else None


class JourneyRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, journey_id: uuid.UUID) -> Journey | None:
        """The journey, its row locked until the transaction ends (one writer per journey)."""
        return await self._locked(sa.select(journeys).where(journeys.c.id == journey_id))

    async def open_for_subscription(self, subscription_id: str) -> Journey | None:
        """The subscription's active or paused journey (at most one), locked."""
        return await self._locked(
            sa.select(journeys).where(
                journeys.c.subscription_id == subscription_id, journeys.c.status.in_(("active", "paused"))
            )
        )

    async def latest_stoppable_for_subscription(self, subscription_id: str) -> Journey | None:
        """The newest journey that a reactivation may stop (open, or failed), locked."""
        return await self._locked(
            sa.select(journeys)
            .where(journeys.c.subscription_id == subscription_id, journeys.c.status.in_(("active", "paused", "failed")))
            .order_by(journeys.c.started_at.desc())
            .limit(1)
        )

    async def lock_subscription(self, subscription_id: str) -> None:
        """Serialise work on one subscription across consumers and replicas (cancellation vs reactivation)."""
        await self.session.execute(sa.select(sa.func.pg_advisory_xact_lock(sa.func.hashtext("sub:" + subscription_id))))

    async def claim_due(self, now: datetime, limit: int) -> list[uuid.UUID]:
        """Journeys with a step due, locked; rows another replica holds are skipped, never waited for."""
        result = await self.session.execute(
            sa.select(journeys.c.id)
            .where(journeys.c.status.in_(("active", "cancelled")), journeys.c.next_due_at <= now)
            .order_by(journeys.c.next_due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(result.scalars())

    async def add(self, journey: Journey, *, event_source: str, event_id: str) -> None:
        customer = journey.facts.get("customer") or {}
        await self.session.execute(
            sa.insert(journeys).values(
                **self._journey_values(journey),
                id=journey.id,
                subscription_id=journey.subscription_id,
                customer_id=journey.customer_id,
                email_hash=email_hash(customer.get("email")),
                template=journey.template,
                template_version=journey.template_version,
                segment=journey.segment,
                initiated_by=journey.initiated_by,
                started_at=journey.started_at,
                cancelled_at=journey.cancelled_at,
                effective_at=journey.effective_at,
                event_source=event_source,
                event_id=event_id,
            )
        )
        await self._save_steps(journey)

    async def save(self, journey: Journey) -> None:
        values = self._journey_values(journey)
        if journey.erased_at is not None:
            values["email_hash"] = None
        await self.session.execute(sa.update(journeys).where(journeys.c.id == journey.id).values(**values))
        await self._save_steps(journey)

    async def add_timeline(self, journey: Journey, notes: list[Note], at: datetime) -> None:
        if notes:
            await self.session.execute(
                sa.insert(journey_timeline),
                [{"journey_id": journey.id, "at": at, "what": n.what, "details": n.details} for n in notes],
            )

    async def record_reactivation(
        self, *, event_source: str, event_id: str, subscription_id: str, reactivated_at: datetime
    ) -> None:
        await self.session.execute(
            insert(reactivations)
            .values(
                event_source=event_source,
                event_id=event_id,
                subscription_id=subscription_id,
                reactivated_at=reactivated_at,
            )
            .on_conflict_do_nothing()
        )

    async def reactivation_after(self, subscription_id: str, moment: datetime) -> datetime | None:
        """The latest reactivation of the subscription later than `moment`, if one arrived already."""
        return await self.session.scalar(
            sa.select(sa.func.max(reactivations.c.reactivated_at)).where(
                reactivations.c.subscription_id == subscription_id, reactivations.c.reactivated_at > moment
            )
        )

    async def audit(
        self, *, at: datetime, actor: str, role: str, action: str, journey_id: uuid.UUID, step: str | None, reason: str
    ) -> None:
        await self.session.execute(
            sa.insert(audit_log).values(
                at=at, actor=actor, role=role, action=action, journey_id=journey_id, step=step, reason=reason
            )
        )

    # ----- mapping --------------------------------------------------------------------------------

    @staticmethod
    def _journey_values(journey: Journey) -> dict[str, Any]:
        return {
            "status": journey.status,
            "updated_at": journey.updated_at,
            "ended_at": journey.ended_at,
            "erased_at": journey.erased_at,
            "next_due_at": journey.next_due_at,
            "facts": journey.facts,
            "survey": journey.survey,
        }

    async def _save_steps(self, journey: Journey) -> None:
        rows = [
            {
                "journey_id": journey.id,
                "name": s.name,
                "position": i,
                "kind": s.spec.kind,
                "spec": s.spec.model_dump(mode="json", by_alias=True, exclude_unset=True),
                "status": s.status,
                "due_at": s.due_at,
                "attempts": s.attempts,
                "last_error": s.last_error,
                "completed_at": s.completed_at,
                "dispatched_at": s.dispatched_at,
                "command_id": s.command_id,
                "result": s.result,
            }
            for i, s in enumerate(journey.steps)
        ]
        statement = insert(journey_steps)
        changing = (
            "status",
            "due_at",
            "attempts",
            "last_error",
            "completed_at",
            "dispatched_at",
            "command_id",
            "result",
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["journey_id", "name"], set_={c: statement.excluded[c] for c in changing}
            ),
            rows,
        )

    async def _locked(self, query: sa.Select) -> Journey | None:
        row = (await self.session.execute(query.with_for_update())).first()
        return await self._load(row) if row else None

    async def _load(self, row: sa.Row) -> Journey:
        step_rows = (
            await self.session.execute(
                sa.select(journey_steps).where(journey_steps.c.journey_id == row.id).order_by(journey_steps.c.position)
            )
        ).all()
        steps = [
            Step(
                spec=StepSpec.model_validate(r.spec),
                status=r.status,
                due_at=r.due_at,
                attempts=r.attempts,
                last_error=r.last_error,
                completed_at=r.completed_at,
                dispatched_at=r.dispatched_at,
                command_id=r.command_id,
                result=r.result,
            )
            for r in step_rows
        ]
        return Journey(
            id=row.id,
            subscription_id=row.subscription_id,
            customer_id=row.customer_id,
            template=row.template,
            template_version=row.template_version,
            segment=row.segment,
            initiated_by=row.initiated_by,
            status=row.status,
            started_at=row.started_at,
            updated_at=row.updated_at,
            cancelled_at=row.cancelled_at,
            effective_at=row.effective_at,
            facts=row.facts,
            steps=steps,
            survey=row.survey,
            ended_at=row.ended_at,
            erased_at=row.erased_at,
        )
