"""The support API's reads: journey search with keyset pagination, and journey details. Plain SQL on the
tables, no aggregates: reading needs no locks and no state machine."""

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orchestrator.adapters.repository import email_hash
from orchestrator.adapters.tables import journey_steps, journey_timeline, journeys


class BadCursor(ValueError):
    """The cursor was not one this API handed out."""


@dataclass(frozen=True)
class SearchFilters:
    customer_id: str | None = None
    subscription_id: str | None = None
    email: str | None = None
    status: str | None = None
    template: str | None = None
    segment: str | None = None
    email_hash: str | None = None  # the console searches by the hash, so that no address is in its URLs
    started_from: datetime | None = None
    started_before: datetime | None = None


def encode_cursor(started_at: datetime, journey_id: uuid.UUID) -> str:
    raw = json.dumps({"s": started_at.isoformat(), "i": str(journey_id)}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        started_at, journey_id = datetime.fromisoformat(raw["s"]), uuid.UUID(raw["i"])
    except (ValueError, KeyError, TypeError, RecursionError, binascii.Error) as exc:
        raise BadCursor("the cursor is not valid; use next_cursor from the previous page") from exc
    if started_at.tzinfo is None:
        raise BadCursor("the cursor is not valid; use next_cursor from the previous page")
    return started_at, journey_id


def filtered(query: sa.Select, equal: dict, moment: sa.Column, since: datetime | None, before: datetime | None):
    """`query` narrowed to the given values (None: any) and to `since <= moment < before` (None: open)."""
    for column, value in equal.items():
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(moment >= since)
    if before is not None:
        query = query.where(moment < before)
    return query


async def search(
    session: AsyncSession,
    filters: SearchFilters,
    *,
    limit: int,
    cursor: str | None,
    with_email: bool,
    with_details: bool = True,
) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first; returns the page and the cursor of the next page (None on the last)."""
    query = filtered(
        sa.select(journeys),
        {
            journeys.c.customer_id: filters.customer_id,
            journeys.c.subscription_id: filters.subscription_id,
            journeys.c.status: filters.status,
            journeys.c.template: filters.template,
            journeys.c.email_hash: email_hash(filters.email) if filters.email else filters.email_hash,
            journeys.c.segment: filters.segment,
        },
        journeys.c.started_at,
        filters.started_from,
        filters.started_before,
    )
    if cursor:
        started_at, journey_id = decode_cursor(cursor)
        query = query.where(sa.tuple_(journeys.c.started_at, journeys.c.id) < sa.tuple_(started_at, journey_id))
    rows = (
        await session.execute(query.order_by(journeys.c.started_at.desc(), journeys.c.id.desc()).limit(limit + 1))
    ).all()
    page, more = rows[:limit], len(rows) > limit
    if with_details:
        items = await _resources(session, page, with_email=with_email)
    else:  # a list of journeys (the console's search): no steps and timelines
        items = [_resource(r, [], [], with_email) for r in page]
    next_cursor = encode_cursor(page[-1].started_at, page[-1].id) if more else None
    return items, next_cursor


async def journey_detail(session: AsyncSession, journey_id: uuid.UUID, *, with_email: bool) -> dict[str, Any] | None:
    row = (await session.execute(sa.select(journeys).where(journeys.c.id == journey_id))).first()
    if row is None:
        return None
    return (await _resources(session, [row], with_email=with_email))[0]


async def subscription_journey_id(session: AsyncSession, subscription_id: str) -> uuid.UUID | None:
    """The subscription's open journey, else its newest."""
    return await session.scalar(
        sa.select(journeys.c.id)
        .where(journeys.c.subscription_id == subscription_id)
        .order_by(journeys.c.status.in_(("active", "paused")).desc(), journeys.c.started_at.desc())
        .limit(1)
    )


# What a step shows in the API (its journey first, to group by); the spec and result documents are not decoded.
STEP_VIEW = ("journey_id", "name", "kind", "status", "due_at", "attempts", "last_error", "completed_at")


async def _resources(session: AsyncSession, rows: list[sa.Row], *, with_email: bool) -> list[dict[str, Any]]:
    """Journey rows with their steps and timelines, in two queries for the whole page."""
    ids = [r.id for r in rows]
    steps: dict[uuid.UUID, list[dict[str, Any]]] = {i: [] for i in ids}
    timeline: dict[uuid.UUID, list[dict[str, Any]]] = {i: [] for i in ids}
    if ids:
        for s in await session.execute(
            sa.select(*(journey_steps.c[c] for c in STEP_VIEW))
            .where(journey_steps.c.journey_id.in_(ids))
            .order_by(journey_steps.c.position)
        ):
            steps[s.journey_id].append({c: s._mapping[c] for c in STEP_VIEW[1:]})
        for t in await session.execute(
            sa.select(journey_timeline).where(journey_timeline.c.journey_id.in_(ids)).order_by(journey_timeline.c.id)
        ):
            timeline[t.journey_id].append({"at": t.at, "what": t.what, "details": t.details})
    return [_resource(r, steps[r.id], timeline[r.id], with_email) for r in rows]


def _resource(row: sa.Row, steps: list, timeline: list, with_email: bool) -> dict[str, Any]:
    resource = {
        "id": row.id,
        "subscription_id": row.subscription_id,
        "customer_id": row.customer_id,
        "status": row.status,
        "template": row.template,
        "template_version": row.template_version,
        "variant": row.variant,
        "experiment": row.experiment,
        "segment": row.segment,
        "initiated_by": row.initiated_by,
        "reason": row.facts.get("reason"),
        "plan": row.facts.get("plan"),
        "cancelled_at": row.cancelled_at,
        "effective_at": row.effective_at,
        "started_at": row.started_at,
        "updated_at": row.updated_at,
        "ended_at": row.ended_at,
        "erased_at": row.erased_at,
        "survey": row.survey,
        "steps": steps,
        "timeline": timeline,
    }
    if with_email:
        resource["email"] = (row.facts.get("customer") or {}).get("email")
    return resource
