"""Churn insights in SQL over indexed columns: response rate, reasons, score distribution, NPS, comments."""

import re
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from shared.logging import EMAIL_PATTERN
from survey.adapters.tables import answers, surveys

PHONE = re.compile(r"\+?\d[\d ()/.-]{7,}\d")


def scrub(text: str) -> str:
    """Comments are shown without contact details (what a customer may have typed into them)."""
    return PHONE.sub("[phone]", EMAIL_PATTERN.sub("[email]", text))


async def insights(
    session: AsyncSession, *, start: datetime, end: datetime, segment: str | None, plan: str | None, comments: int = 10
) -> dict:
    def scoped(table):
        conditions = [table.c.segment == segment] if segment else []
        return conditions + ([table.c.plan == plan] if plan else [])

    in_range = [answers.c.submitted_at >= start, answers.c.submitted_at < end, *scoped(answers)]
    totals = (
        await session.execute(
            sa.select(
                sa.func.count().label("answers"),
                sa.func.count().filter(answers.c.score >= 9).label("promoters"),
                sa.func.count().filter(answers.c.score.between(7, 8)).label("passives"),
                sa.func.count().filter(answers.c.score <= 6).label("detractors"),
                sa.func.avg(answers.c.score).label("average"),
            ).where(*in_range)
        )
    ).one()
    reasons = (
        await session.execute(
            sa.select(answers.c.reason, sa.func.count().label("count"))
            .where(*in_range)
            .group_by(answers.c.reason)
            .order_by(sa.text("count DESC"), answers.c.reason)
        )
    ).all()
    scores = dict(
        (
            await session.execute(
                sa.select(answers.c.score, sa.func.count()).where(*in_range).group_by(answers.c.score)
            )
        ).all()
    )
    sent = await session.scalar(
        sa.select(sa.func.count()).where(surveys.c.created_at >= start, surveys.c.created_at < end, *scoped(surveys))
    )
    answered = await session.scalar(
        sa.select(sa.func.count()).where(
            surveys.c.created_at >= start,
            surveys.c.created_at < end,
            surveys.c.answered_at.is_not(None),
            *scoped(surveys),
        )
    )
    latest = (
        await session.execute(
            sa.select(answers.c.comment, answers.c.reason, answers.c.score, answers.c.segment, answers.c.submitted_at)
            .where(*in_range, answers.c.comment.is_not(None))
            .order_by(answers.c.submitted_at.desc())
            .limit(comments)
        )
    ).all()
    n = totals.answers
    return {
        "from": start,
        "to": end,
        "segment": segment,
        "plan": plan,
        "surveys_sent": sent,
        "surveys_answered": answered,
        "response_rate": round(answered / sent, 4) if sent else None,
        "answers": n,
        "reasons": [{"reason": r.reason, "count": r.count, "share": round(r.count / n, 4)} for r in reasons],
        "score_distribution": {str(score): scores.get(score, 0) for score in range(11)},
        "average_score": round(float(totals.average), 2) if n else None,
        "nps": {
            "promoters": totals.promoters,
            "passives": totals.passives,
            "detractors": totals.detractors,
            "score": round(100 * (totals.promoters - totals.detractors) / n, 1) if n else None,
        },
        "latest_comments": [
            {
                "comment": scrub(c.comment),
                "reason": c.reason,
                "score": c.score,
                "segment": c.segment,
                "submitted_at": c.submitted_at,
            }
            for c in latest
        ],
    }
