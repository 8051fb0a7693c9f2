"""`GET /v1/suppressions?email=`: whether an address is suppressed, why, and what came back about it;
`DELETE /v1/suppressions?email=&reason=`: lift it ("the customer fixed their mailbox"), operators only, with a
reason, audited (suppression_audit). The answers name the address's hash, never the address."""

from datetime import datetime
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from notifier.adapters.tables import delivery_feedback, suppression_audit, suppressions
from shared.auth import TokenAuth
from shared.http import ApiError, documented_errors
from shared.personal import keyed_address_hash
from shared.text import VISIBLE_PATTERN

_ADDRESS_PART = r"[^@\s\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]+"
Email = Annotated[
    str, Query(min_length=3, max_length=320, pattern=f"^{_ADDRESS_PART}@{_ADDRESS_PART}$", description="the address")
]
Reason = Annotated[str, Query(min_length=1, max_length=500, pattern=VISIBLE_PATTERN, description="why (audited)")]


class FeedbackItem(BaseModel):
    kind: str
    reason_code: str
    source: str
    occurred_at: datetime


class Suppression(BaseModel):
    address_hash: str
    suppressed: bool
    scope: str | None  # all (bounced, complained) | marketing (unsubscribed)
    reason: str | None
    since: datetime | None
    feedback: list[FeedbackItem]


def suppressions_router(sessions: async_sessionmaker[AsyncSession], auth: TokenAuth, address_key: bytes) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["suppressions"], responses=documented_errors(401, 403, 422))
    Viewer, Operator = auth.require("viewer"), auth.require("operator")

    @router.get("/suppressions", response_model=Suppression, summary="Is this address suppressed, and why")
    async def look_up(email: Email, _principal: Viewer) -> dict:
        hashed = keyed_address_hash(email, address_key)
        async with sessions() as session:
            return await _state(session, hashed)

    @router.delete(
        "/suppressions",
        response_model=Suppression,
        responses=documented_errors(404),
        summary="Lift a suppression (operators; with a reason, audited)",
    )
    async def lift(email: Email, reason: Reason, principal: Operator) -> dict:
        hashed = keyed_address_hash(email, address_key)
        async with sessions() as session, session.begin():
            removed = await session.scalar(
                sa.delete(suppressions).where(suppressions.c.recipient_hash == hashed).returning(suppressions.c.scope)
            )
            if removed is None:
                raise ApiError(404, "not_suppressed", "this address is not suppressed")
            await session.execute(
                sa.insert(suppression_audit).values(
                    actor=principal.name, action="lifted", recipient_hash=hashed, scope=removed, reason=reason.strip()
                )
            )
            return await _state(session, hashed)

    return router


async def _state(session: AsyncSession, hashed: str) -> dict:
    row = (await session.execute(sa.select(suppressions).where(suppressions.c.recipient_hash == hashed))).first()
    feedback = (
        await session.execute(
            sa.select(
                delivery_feedback.c.kind,
                delivery_feedback.c.reason_code,
                delivery_feedback.c.source,
                delivery_feedback.c.occurred_at,
            )
            .where(delivery_feedback.c.recipient_hash == hashed)
            .order_by(delivery_feedback.c.occurred_at.desc())
            .limit(50)
        )
    ).all()
    return {
        "address_hash": hashed,
        "suppressed": row is not None,
        "scope": row.scope if row else None,
        "reason": row.reason if row else None,
        "since": row.created_at if row else None,
        "feedback": [f._asdict() for f in feedback],
    }
