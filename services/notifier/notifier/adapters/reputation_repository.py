"""What the reputation guard reads and writes: the tallies of what went out since a moment, and the pauses of
marketing mail. Runs in the caller's transaction."""

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from notifier.adapters.tables import sending_pauses
from notifier.domain.reputation import Tally

# Emails that went out (sent_at is kept when feedback later makes them bounced or complained), and those the
# server refused at send time, with what came back about them: the latest kind per delivery. No index serves
# the window (one on sent_at would cost every send a heavier update): a scan of the deliveries, once a minute.
TALLIES = sa.text(
    """
    SELECT category, message, count(*) AS sent,
           count(*) FILTER (WHERE feedback_kind = 'hard') AS hard,
           count(*) FILTER (WHERE feedback_kind = 'soft') AS soft,
           count(*) FILTER (WHERE feedback_kind = 'complaint') AS complaints
    FROM deliveries
    WHERE channel = 'email'
      AND (sent_at >= :since OR (sent_at IS NULL AND feedback_kind IS NOT NULL AND updated_at >= :since))
    GROUP BY category, message
    """
)

# The same per day (UTC) and stream, for the history the console draws: read on request, never by the guard.
DAILY = sa.text(
    """
    SELECT (coalesce(sent_at, updated_at) AT TIME ZONE 'UTC')::date AS day, category, count(*) AS sent,
           count(*) FILTER (WHERE feedback_kind = 'hard') AS hard,
           count(*) FILTER (WHERE feedback_kind = 'soft') AS soft,
           count(*) FILTER (WHERE feedback_kind = 'complaint') AS complaints
    FROM deliveries
    WHERE channel = 'email'
      AND (sent_at >= :since OR (sent_at IS NULL AND feedback_kind IS NOT NULL AND updated_at >= :since))
    GROUP BY 1, 2
    ORDER BY 1, 2
    """
)


@dataclass(frozen=True)
class Pause:
    stream: str
    paused_at: datetime
    reason: str


class ReputationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def tallies(self, since: datetime) -> list[Tally]:
        rows = await self.session.execute(TALLIES, {"since": since})
        return [Tally(r.category, r.message, r.sent, r.hard, r.soft, r.complaints) for r in rows]

    async def daily(self, since: datetime) -> list[tuple[date, Tally]]:
        """Per UTC day since `since` and stream (template "all"), oldest first."""
        rows = await self.session.execute(DAILY, {"since": since})
        return [(r.day, Tally(r.category, "all", r.sent, r.hard, r.soft, r.complaints)) for r in rows]

    async def open_pause(self, stream: str = "marketing") -> Pause | None:
        row = (
            await self.session.execute(
                sa.select(sending_pauses.c.stream, sending_pauses.c.paused_at, sending_pauses.c.reason).where(
                    sending_pauses.c.stream == stream, sending_pauses.c.resumed_at.is_(None)
                )
            )
        ).first()
        return Pause(row.stream, row.paused_at, row.reason) if row else None

    async def last_resumed(self, stream: str = "marketing") -> datetime | None:
        return await self.session.scalar(
            sa.select(sa.func.max(sending_pauses.c.resumed_at)).where(sending_pauses.c.stream == stream)
        )

    async def pause(self, reason: str, stream: str = "marketing") -> bool:
        """Open a pause (one open pause per stream: replicas deciding at once open one). True if this did."""
        opened = await self.session.scalar(
            insert(sending_pauses)
            .values(stream=stream, reason=reason[:300])
            .on_conflict_do_nothing(index_elements=["stream"], index_where=sending_pauses.c.resumed_at.is_(None))
            .returning(sending_pauses.c.id)
        )
        return opened is not None

    async def resume(self, *, actor: str, reason: str, stream: str = "marketing") -> bool:
        resumed = await self.session.scalar(
            sa.update(sending_pauses)
            .where(sending_pauses.c.stream == stream, sending_pauses.c.resumed_at.is_(None))
            .values(resumed_at=sa.func.now(), resumed_by=actor, resume_reason=reason[:500])
            .returning(sending_pauses.c.id)
        )
        return resumed is not None
