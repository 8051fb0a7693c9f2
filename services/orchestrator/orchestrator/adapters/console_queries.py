"""What the support console reads besides the journeys themselves: the attention list (failed steps, late
timers, customers their emails do not reach, customers who asked for help on their page), the audit log, and a journey's customer (personal data: only when an operator reveals it)."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orchestrator.adapters.queries import filtered
from orchestrator.adapters.tables import audit_log, email_feedback, help_requests, journey_steps, journeys

LATE_AFTER = timedelta(minutes=5)  # a due step still not run this long after its time is "late"


async def failed_steps(session: AsyncSession, *, limit: int = 50) -> list[dict[str, Any]]:
    """The most recently failed steps, with their journeys (uses the partial index on failed steps)."""
    rows = await session.execute(
        sa.select(
            journey_steps.c.journey_id,
            journey_steps.c.name,
            journey_steps.c.attempts,
            journey_steps.c.last_error,
            journey_steps.c.completed_at,
            journeys.c.subscription_id,
            journeys.c.template,
            journeys.c.status,
        )
        .join(journeys, journeys.c.id == journey_steps.c.journey_id)
        .where(journey_steps.c.status == "failed")
        .order_by(journey_steps.c.completed_at.desc())
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows]


async def unreachable_customers(session: AsyncSession, *, limit: int = 50) -> list[dict[str, Any]]:
    """Journeys whose emails bounced for good or drew a complaint, newest first: the customer may not have got
    what they were told (their later emails are skipped)."""
    rows = await session.execute(
        sa.select(
            email_feedback.c.journey_id,
            email_feedback.c.step,
            email_feedback.c.kind,
            email_feedback.c.reason_code,
            email_feedback.c.occurred_at,
            journeys.c.subscription_id,
            journeys.c.template,
            journeys.c.status,
        )
        .join(journeys, journeys.c.id == email_feedback.c.journey_id)
        .where(email_feedback.c.kind != "soft")
        .order_by(email_feedback.c.occurred_at.desc())
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows]


async def help_requested(session: AsyncSession, *, limit: int = 50) -> list[dict[str, Any]]:
    """Customers who asked for help on their own page, newest first (what they wrote is on the survey service's
    side, shown on the journey page)."""
    rows = await session.execute(
        sa.select(
            help_requests.c.journey_id,
            help_requests.c.topic,
            help_requests.c.reach_by,
            help_requests.c.requested_at,
            journeys.c.subscription_id,
            journeys.c.template,
            journeys.c.status,
        )
        .join(journeys, journeys.c.id == help_requests.c.journey_id)
        .order_by(help_requests.c.requested_at.desc())
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows]


async def late_journeys(session: AsyncSession, *, now: datetime, limit: int = 50) -> list[dict[str, Any]]:
    """Journeys whose next step is overdue: the timers are behind, or the journey cannot move."""
    rows = await session.execute(
        sa.select(
            journeys.c.id, journeys.c.subscription_id, journeys.c.template, journeys.c.status, journeys.c.next_due_at
        )
        .where(
            journeys.c.status.in_(("active", "cancelled")),
            journeys.c.next_due_at.is_not(None),
            journeys.c.next_due_at < now - LATE_AFTER,
        )
        .order_by(journeys.c.next_due_at)
        .limit(limit)
    )
    return [dict(r._mapping) for r in rows]


@dataclass(frozen=True)
class AuditFilters:
    actor: str | None = None
    action: str | None = None
    journey_id: uuid.UUID | None = None
    since: datetime | None = None
    before: datetime | None = None


async def audit_entries(
    session: AsyncSession, filters: AuditFilters, *, limit: int = 50, below_id: int | None = None
) -> tuple[list[dict[str, Any]], int | None]:
    """Newest first; returns the page and the id to continue below (None on the last page)."""
    query = filtered(
        sa.select(audit_log),
        {
            audit_log.c.actor: filters.actor,
            audit_log.c.action: filters.action,
            audit_log.c.journey_id: filters.journey_id,
        },
        audit_log.c.at,
        filters.since,
        filters.before,
    )
    if below_id is not None:
        query = query.where(audit_log.c.id < below_id)
    rows = (await session.execute(query.order_by(audit_log.c.id.desc()).limit(limit + 1))).all()
    page = [dict(r._mapping) for r in rows[:limit]]
    return page, (page[-1]["id"] if len(rows) > limit else None)


async def customer_of(session: AsyncSession, journey_id: uuid.UUID) -> dict[str, Any]:
    """The journey's customer as the billing event gave it (email and name are None once erased)."""
    facts = await session.scalar(sa.select(journeys.c.facts).where(journeys.c.id == journey_id))
    customer = (facts or {}).get("customer") or {}
    return {k: customer.get(k) for k in ("email", "name", "company", "locale", "timezone")} | {
        "marketing_consent": bool((facts or {}).get("marketing_consent"))
    }
