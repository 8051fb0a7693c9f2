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
    session: AsyncSession,
    *,
    start: datetime,
    end: datetime,
    segment: str | None,
    plan: str | None,
    template: str | None = None,
    comments: int = 10,
) -> dict:
    def scoped(table):
        conditions = [table.c.segment == segment] if segment else []
        conditions += [table.c.template == template] if template else []
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
    pages = await customer_page_figures(session, start=start, end=end, segment=segment, template=template)
    months = await _by_month(
        session, in_range, [surveys.c.created_at >= start, surveys.c.created_at < end, *scoped(surveys)]
    )
    n = totals.answers
    return {
        "from": start,
        "to": end,
        "segment": segment,
        "plan": plan,
        "template": template,
        "by_month": months,
        "customer_pages": pages,
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


# Per template and variant, the pages of the journeys cancelled in the window and what their customers did there:
# counts from page_activity (no one is followed beyond their own journey's record), and the reactivations that
# came after a first visit. One statement.
PAGE_FIGURES = sa.text(
    """
    SELECT p.template, p.variant, count(*) AS pages, count(a.visits) AS visited,
           CAST(coalesce(sum(a.visits), 0) AS bigint) AS visits,
           CAST(coalesce(sum(a.help_requests), 0) AS bigint) AS help_requests,
           CAST(coalesce(sum(a.export_clicks), 0) AS bigint) AS export_clicks,
           CAST(coalesce(sum(a.come_back_clicks), 0) AS bigint) AS come_back_clicks,
           CAST(coalesce(sum(a.opt_ins), 0) AS bigint) AS marketing_opt_ins,
           CAST(coalesce(sum(a.opt_outs), 0) AS bigint) AS marketing_opt_outs,
           count(*) FILTER (WHERE p.reactivated_at > a.first_visit) AS reactivated_after_visit
    FROM customer_pages p
    LEFT JOIN LATERAL (
        SELECT sum(count) FILTER (WHERE what = 'visit') AS visits,
               min(first_at) FILTER (WHERE what = 'visit') AS first_visit,
               sum(count) FILTER (WHERE what = 'help_request') AS help_requests,
               sum(count) FILTER (WHERE what = 'export_click') AS export_clicks,
               sum(count) FILTER (WHERE what = 'come_back_click') AS come_back_clicks,
               sum(count) FILTER (WHERE what = 'marketing_opt_in') AS opt_ins,
               sum(count) FILTER (WHERE what = 'marketing_opt_out') AS opt_outs
        FROM page_activity WHERE journey_id = p.journey_id
    ) a ON true
    WHERE p.cancelled_at >= :start AND p.cancelled_at < :end
      AND (CAST(:segment AS text) IS NULL OR p.segment = :segment)
      AND (CAST(:template AS text) IS NULL OR p.template = :template)
    GROUP BY p.template, p.variant
    ORDER BY p.template, p.variant NULLS FIRST
    """
)


async def customer_page_figures(
    session: AsyncSession, *, start: datetime, end: datetime, segment: str | None, template: str | None
) -> list[dict]:
    """What leaving customers did on their own pages, per template and variant (journeys cancelled in the window)."""
    rows = await session.execute(PAGE_FIGURES, {"start": start, "end": end, "segment": segment, "template": template})
    return [dict(row._mapping) for row in rows]


async def _by_month(session: AsyncSession, answered: list, sent: list) -> list[dict]:
    """Per calendar month (UTC): answers, NPS and response rate, oldest first."""
    month = sa.func.date_trunc("month", answers.c.submitted_at, "UTC")
    rows = (
        await session.execute(
            sa.select(
                month.label("month"),
                sa.func.count().label("answers"),
                sa.func.count().filter(answers.c.score >= 9).label("promoters"),
                sa.func.count().filter(answers.c.score <= 6).label("detractors"),
            )
            .where(*answered)
            .group_by(month)
            .order_by(month)
        )
    ).all()
    created = sa.func.date_trunc("month", surveys.c.created_at, "UTC")
    invited = dict((await session.execute(sa.select(created, sa.func.count()).where(*sent).group_by(created))).all())
    return [
        {
            "month": r.month.strftime("%Y-%m"),
            "answers": r.answers,
            "nps": round(100 * (r.promoters - r.detractors) / r.answers, 1) if r.answers else None,
            "surveys_sent": invited.get(r.month, 0),
        }
        for r in rows
    ]


async def answer_of(session: AsyncSession, journey_id: str) -> dict | None:
    """One journey's answer as support sees it: the comment without contact details (and gone once erased)."""
    row = (await session.execute(sa.select(answers).where(answers.c.journey_id == journey_id))).first()
    if row is None:
        return None
    return {
        "journey_id": row.journey_id,
        "reason": row.reason,
        "reason_other": scrub(row.reason_other) if row.reason_other else None,
        "score": row.score,
        "comment": scrub(row.comment) if row.comment else None,
        "may_contact": row.may_contact,
        "submitted_at": row.submitted_at,
        "erased": row.erased_at is not None,
    }
