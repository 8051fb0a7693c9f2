"""The audit log: who did what to which journey, when and why (operator actions, and every look at a customer's
personal data, in the console and through the API). Runs in the caller's transaction."""

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orchestrator.adapters.tables import audit_log
from shared.db.engine import insert_rows


class AuditLog:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(
        self, *, at: datetime, actor: str, role: str, action: str, journey_id: uuid.UUID, step: str | None, reason: str
    ) -> None:
        await self.record_many(
            at=at, actor=actor, role=role, action=action, journey_ids=[journey_id], step=step, reason=reason
        )

    async def record_many(
        self,
        *,
        at: datetime,
        actor: str,
        role: str,
        action: str,
        journey_ids: list[uuid.UUID],
        reason: str,
        step: str | None = None,
    ) -> None:
        """The same entry for several journeys (an API search that revealed their customers), one statement."""
        rows = [
            {"at": at, "actor": actor, "role": role, "action": action, "journey_id": i, "step": step, "reason": reason}
            for i in journey_ids
        ]
        await insert_rows(self.session, sa.insert(audit_log), rows)
