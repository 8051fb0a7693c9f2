"""What the other services tell the orchestrator about a journey besides step results: the customer unsubscribed
from marketing, an email bounced or drew a complaint, the customer asked for help on their page. Each kept once per journey (and step, kind, source), with
an entry on the journey's timeline; unknown journeys are passed over. Runs in the caller's transaction."""

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

RECORD_UNSUBSCRIBES = sa.text(
    """
    WITH new AS (
        INSERT INTO unsubscribes (journey_id, unsubscribed_at)
        SELECT u.id, u.at FROM unnest(CAST(:ids AS uuid[]), CAST(:ats AS timestamptz[])) AS u(id, at)
        JOIN journeys j ON j.id = u.id
        ON CONFLICT DO NOTHING
        RETURNING journey_id, unsubscribed_at
    )
    , timeline AS (
        INSERT INTO journey_timeline (journey_id, at, what, details)
        SELECT journey_id, unsubscribed_at, 'unsubscribed', '{"from": "marketing messages"}' FROM new
    )
    SELECT journey_id, unsubscribed_at FROM new
    """
)

# The email's fate on the journey's timeline: bounced (hard), bounced softly (soft), complained.
RECORD_DELIVERY_FEEDBACK = sa.text(
    """
    WITH new AS (
        INSERT INTO email_feedback (journey_id, step, kind, source, reason_code, occurred_at)
        SELECT f.id, f.step, f.kind, f.source, f.code, f.at
        FROM unnest(CAST(:ids AS uuid[]), CAST(:steps AS text[]), CAST(:kinds AS text[]), CAST(:sources AS text[]),
                    CAST(:codes AS text[]), CAST(:ats AS timestamptz[])) AS f(id, step, kind, source, code, at)
        JOIN journeys j ON j.id = f.id
        ON CONFLICT DO NOTHING
        RETURNING journey_id, step, kind, source, reason_code, occurred_at
    )
    , timeline AS (
        INSERT INTO journey_timeline (journey_id, at, what, details)
        SELECT journey_id, occurred_at,
               CASE kind WHEN 'hard' THEN 'email_bounced' WHEN 'soft' THEN 'email_bounced_softly'
                         ELSE 'email_complained' END,
               jsonb_build_object('step', step, 'reason_code', reason_code, 'source', source)
        FROM new
    )
    SELECT journey_id, step, kind, reason_code, occurred_at FROM new
    """
)


RECORD_HELP_REQUESTS = sa.text(
    """
    WITH new AS (
        INSERT INTO help_requests (request_id, journey_id, topic, reach_by, requested_at)
        SELECT h.request_id, h.id, h.topic, h.reach_by, h.at
        FROM unnest(CAST(:request_ids AS uuid[]), CAST(:ids AS uuid[]), CAST(:topics AS text[]),
                    CAST(:reach_bys AS text[]), CAST(:ats AS timestamptz[])) AS h(request_id, id, topic, reach_by, at)
        JOIN journeys j ON j.id = h.id
        ON CONFLICT DO NOTHING
        RETURNING request_id, journey_id, topic, reach_by, requested_at
    )
    , timeline AS (
        INSERT INTO journey_timeline (journey_id, at, what, details)
        SELECT journey_id, requested_at, 'help_requested', jsonb_build_object('topic', topic, 'reach_by', reach_by)
        FROM new
    )
    SELECT request_id FROM new
    """
)


class NoticeLog:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record_unsubscribes(self, told: list[tuple[uuid.UUID, datetime]]) -> list[sa.Row]:
        """Keep each journey's first unsubscribe, with a timeline entry; unknown journeys are passed over.
        Returns the new ones (journey_id, unsubscribed_at)."""
        if not told:
            return []
        result = await self.session.execute(
            RECORD_UNSUBSCRIBES, {"ids": [i for i, _ in told], "ats": [at for _, at in told]}
        )
        return list(result.all())

    async def record_delivery_feedback(
        self, told: list[tuple[uuid.UUID, str, str, str, str, datetime]]
    ) -> list[sa.Row]:
        """Keep what came back about the journeys' emails (journey, step, kind, source, code, when), each once,
        with a timeline entry; unknown journeys are passed over. Returns the new ones (journey_id, step, kind,
        reason_code, occurred_at)."""
        if not told:
            return []
        columns = ("ids", "steps", "kinds", "sources", "codes", "ats")
        result = await self.session.execute(
            RECORD_DELIVERY_FEEDBACK, {name: [row[i] for row in told] for i, name in enumerate(columns)}
        )
        return list(result.all())

    async def record_help_requests(self, told: list[tuple[uuid.UUID, uuid.UUID, str, str, datetime]]) -> set[uuid.UUID]:
        """Keep each help request once (request id, journey, topic, how to reach, when), with a timeline entry;
        unknown journeys are passed over. Returns the ids of the new ones."""
        if not told:
            return set()
        columns = ("request_ids", "ids", "topics", "reach_bys", "ats")
        result = await self.session.execute(
            RECORD_HELP_REQUESTS, {name: [row[i] for row in told] for i, name in enumerate(columns)}
        )
        return {row.request_id for row in result}
