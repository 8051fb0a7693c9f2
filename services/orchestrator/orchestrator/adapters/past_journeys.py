"""Past journeys for the dry-run, streamed in chunks: their facts without personal data (the customer's
locale and time zone only), their recorded survey answer, the steps that ran and those still to come."""

from collections.abc import AsyncIterator
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orchestrator.domain.dry_run import UNDECIDED, PastJourney

# One statement, streamed from a server-side cursor. The facts leave the database without name or address. A
# step ran when it succeeded or its command went out at least once (a journey stopped mid-send still sent).
PAST_JOURNEYS = sa.text(
    """
    SELECT (j.facts - 'customer') || jsonb_build_object('customer', jsonb_build_object(
               'locale', j.facts->'customer'->'locale', 'timezone', j.facts->'customer'->'timezone')) AS facts,
           j.subscription_id, j.started_at, j.effective_at, j.survey, j.erased_at IS NOT NULL AS erased,
           CASE WHEN j.status = 'cancelled' THEN j.ended_at END AS stopped_at,
           ARRAY(SELECT s.name FROM journey_steps s
                 WHERE s.journey_id = j.id AND (s.status = 'succeeded' OR s.attempts > 0)) AS ran,
           ARRAY(SELECT s.name FROM journey_steps s
                 WHERE s.journey_id = j.id AND s.status = ANY(:undecided) AND s.attempts = 0) AS undecided
    FROM journeys j
    WHERE j.cancelled_at >= :start AND j.cancelled_at < :end
    """
)


async def stream_past_journeys(
    session: AsyncSession, *, start: datetime, end: datetime, chunk: int = 5_000
) -> AsyncIterator[list[PastJourney]]:
    result = await session.stream(
        PAST_JOURNEYS,
        {"start": start, "end": end, "undecided": sorted(UNDECIDED)},
        execution_options={"yield_per": chunk},
    )
    async for rows in result.partitions(chunk):
        yield [
            PastJourney(
                subscription_id=row.subscription_id,
                facts=row.facts,
                started_at=row.started_at,
                effective_at=row.effective_at,
                stopped_at=row.stopped_at,
                survey=row.survey,
                ran=frozenset(row.ran),
                undecided=frozenset(row.undecided),
                erased=row.erased,
            )
            for row in rows
        ]
