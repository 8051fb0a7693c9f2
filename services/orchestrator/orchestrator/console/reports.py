"""The console's overview pages: what needs attention, why customers leave (charts with their numbers), and
the audit log."""

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from orchestrator.adapters import console_queries
from orchestrator.console import charts, texts
from orchestrator.console.forms import Text, day, link
from orchestrator.console.reputation import DAYS, daily_charts
from orchestrator.console.web import Console
from shared.messaging import dead_letters

AUDIT_ACTIONS = ("pause", "resume", "cancel", "erase", "retry", "skip", "reveal")


def reports_router(console: Console) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/console/attention")
    async def attention(request: Request) -> Response:
        staff = console.staff(request)
        now = datetime.now(UTC)
        async with console.db() as session:
            failed = await console_queries.failed_steps(session)
            late = await console_queries.late_journeys(session, now=now)
            unreachable = await console_queries.unreachable_customers(session)
            asked = await console_queries.help_requested(session)
            own = await dead_letters.summary(session, since=now - timedelta(days=7), latest=20)
        others = await console.peers.dead_letters()
        return console.page(
            "attention.html.j2",
            staff,
            failed=failed,
            late=late,
            unreachable=unreachable,
            asked=asked,
            dead={"orchestrator": own, **others},
        )

    @router.get("/console/insights")
    async def insights(
        request: Request,
        segment: Text = None,
        template: Text = None,
        from_: Annotated[Text, Query(alias="from")] = None,
        to: Text = None,
        done: Text = None,
    ) -> Response:
        staff = console.staff(request)
        chosen = {
            "segment": segment if segment in ("b2c", "b2b") else None,
            "template": template if template in console.catalogue.names() else None,
            "from": from_ if day(from_, staff.tz) else None,
            "to": to if day(to, staff.tz) else None,
        }
        params = {k: v for k, v in chosen.items() if v}
        if not params.get("from"):
            params["from"] = (datetime.now(UTC) - timedelta(days=365)).date().isoformat()
        found, reputation, daily = await asyncio.gather(
            console.peers.insights(params), console.peers.reputation(), console.peers.reputation_daily(DAYS)
        )
        return console.page(
            "insights.html.j2",
            staff,
            chosen=chosen,
            templates=console.catalogue.names(),
            data=found,
            charts=_charts(found, staff.lang) if found else {},
            reputation=reputation,
            daily=daily_charts(daily, reputation, staff.lang),
            done=done if done == "marketing_resumed" else None,
        )

    @router.get("/console/audit")
    async def audit(
        request: Request,
        actor: Text = None,
        action: Text = None,
        journey: Text = None,
        from_: Annotated[Text, Query(alias="from")] = None,
        to: Text = None,
        below: Annotated[int | None, Query(ge=1, le=2**62)] = None,
    ) -> Response:
        staff = console.staff(request)
        chosen = {
            "actor": actor if actor and re.fullmatch(r"[A-Za-z0-9-]{1,40}", actor) else None,
            "action": action if action in AUDIT_ACTIONS else None,
            "journey": journey if journey and _uuid(journey) else None,
            "from": from_ if day(from_, staff.tz) else None,
            "to": to if day(to, staff.tz) else None,
        }
        filters = console_queries.AuditFilters(
            actor=chosen["actor"],
            action=chosen["action"],
            journey_id=_uuid(chosen["journey"]),
            since=day(from_, staff.tz),
            before=day(to, staff.tz),
        )
        async with console.db() as session:
            entries, next_below = await console_queries.audit_entries(session, filters, below_id=below)
        kept = {k: v for k, v in chosen.items() if v}
        return console.page(
            "audit.html.j2",
            staff,
            entries=entries,
            chosen=chosen,
            actions=AUDIT_ACTIONS,
            next_url=link("/console/audit", kept | {"below": next_below}) if next_below else None,
        )

    return router


def _charts(data: dict, lang: str) -> dict:
    t = lambda key, **v: texts.text(lang, key, **v)  # noqa: E731
    reasons = [
        (t(f"reason.{r['reason']}"), r["count"], f"{r['count']} ({texts.percent(r['share'], lang)})")
        for r in data["reasons"]
    ]
    months = [
        (texts.month(m["month"], lang), m["nps"], texts.number(m["nps"], lang, digits=1)) for m in data["by_month"]
    ]
    return {
        "reasons": charts.bars(reasons, title=t("insights.reasons"), description=_describe(reasons)),
        "scores": charts.score_columns(
            data["score_distribution"],
            title=t("insights.scores"),
            description=", ".join(f"{score}: {n}" for score, n in data["score_distribution"].items()),
        ),
        "months": charts.month_columns(months, title=t("insights.months"), description=_describe(months)),
    }


def _describe(items: list[tuple]) -> str:
    return "; ".join(f"{label}: {shown}" for label, _, shown in items) or "-"


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value else None
    except ValueError:
        return None
