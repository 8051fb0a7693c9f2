"""What experiment insights count, in one query per experiment over its journeys (ix_journeys_experiment):
per variant, journeys and customers, exit surveys created and answered with their scores, unsubscribes, and
reactivations within 30 and 90 days of the cancellation among the journeys old enough to tell."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orchestrator.adapters.tables import journey_steps, journeys, reactivations, unsubscribes
from orchestrator.domain.experiment_reading import VariantCounts
from orchestrator.domain.experiment_stats import Sample

DAYS = (30, 90)


async def variant_counts(
    session: AsyncSession, experiment: str, *, start: datetime | None, end: datetime | None, now: datetime
) -> list[VariantCounts]:
    j = journeys.c
    surveyed = (
        sa.select(journey_steps.c.journey_id)
        .where(
            journey_steps.c.journey_id == j.id,
            journey_steps.c.kind == "survey",
            journey_steps.c.status == "succeeded",
        )
        .exists()
    )
    score = sa.cast(j.survey["score"].astext, sa.Integer)
    answered = sa.and_(surveyed, j.survey.is_not(None))

    def matured(days: int):
        return j.cancelled_at <= now - timedelta(days=days)

    def reactivated(days: int):
        r = reactivations.c
        back = (
            sa.select(r.subscription_id)
            .where(
                r.subscription_id == j.subscription_id,
                r.reactivated_at > j.cancelled_at,
                r.reactivated_at <= j.cancelled_at + timedelta(days=days),
            )
            .exists()
        )
        return sa.and_(matured(days), back)

    unsubscribed = sa.select(unsubscribes.c.journey_id).where(unsubscribes.c.journey_id == j.id).exists()
    count = sa.func.count
    columns = [
        j.variant.label("variant"),
        count().label("journeys"),
        count(sa.distinct(j.customer_id)).label("customers"),
        count().filter(surveyed).label("surveyed"),
        count().filter(answered).label("answered"),
        sa.func.coalesce(sa.func.sum(score).filter(answered), 0).label("score_sum"),
        sa.func.coalesce(sa.func.sum(score * score).filter(answered), 0).label("score_squares"),
        count().filter(answered, score >= 9).label("promoters"),
        count().filter(answered, score <= 6).label("detractors"),
        count().filter(unsubscribed).label("unsubscribed"),
    ]
    for days in DAYS:
        columns += [
            count().filter(matured(days)).label(f"matured_{days}d"),
            count().filter(reactivated(days)).label(f"reactivated_{days}d"),
        ]
    window = [j.experiment == experiment]
    window += [j.started_at >= start] if start else []
    window += [j.started_at < end] if end else []
    rows = (await session.execute(sa.select(*columns).where(*window).group_by(j.variant))).all()
    return [
        VariantCounts(
            variant=r.variant,
            journeys=r.journeys,
            customers=r.customers,
            surveyed=r.surveyed,
            answered=r.answered,
            scores=Sample(r.answered, float(r.score_sum), float(r.score_squares)),
            promoters=r.promoters,
            detractors=r.detractors,
            unsubscribed=r.unsubscribed,
            matured_30d=r.matured_30d,
            reactivated_30d=r.reactivated_30d,
            matured_90d=r.matured_90d,
            reactivated_90d=r.reactivated_90d,
        )
        for r in rows
    ]


async def experiments_seen(session: AsyncSession) -> dict[str, int]:
    """Every experiment that assigned journeys, with how many."""
    j = journeys.c
    rows = await session.execute(
        sa.select(j.experiment, sa.func.count()).where(j.experiment.is_not(None)).group_by(j.experiment)
    )
    return dict(rows.all())
