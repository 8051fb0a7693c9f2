"""The experiments in the console: which ones run, and per experiment how each variant's customers fared, each
metric as intervals on one scale (a chart and its table) with the difference from the control, so an author
can tell a real difference from noise (docs/journeys.md, "Read the experiment")."""

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from orchestrator.console import charts, texts
from orchestrator.console.forms import Text, day
from orchestrator.console.web import Console
from orchestrator.domain.experiments import NAME
from shared.query_dates import EARLIEST

# Each metric and the scale its values live on: rates in 0..1 (shown in %), the mean score 0..10, NPS -100..100.
RATE, SCORE, NPS = (0.0, 1.0), (0.0, 10.0), (-100.0, 100.0)
METRICS = {
    "share": RATE,
    "survey_response_rate": RATE,
    "mean_score": SCORE,
    "nps": NPS,
    "unsubscribe_rate": RATE,
    "reactivated_30d": RATE,
    "reactivated_90d": RATE,
}


def experiments_page_router(console: Console) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/console/experiments")
    async def experiments(request: Request) -> Response:
        staff = console.staff(request)
        return console.page("experiments.html.j2", staff, items=await console.experiments.list())

    @router.get("/console/experiments/{name}")
    async def experiment(
        request: Request,
        name: Annotated[str, Path(max_length=40)],
        from_: Annotated[Text, Query(alias="from")] = None,
        to: Annotated[Text, Query()] = None,
    ) -> Response:
        staff = console.staff(request)
        start, end = day(from_, staff.tz), day(to, staff.tz)
        if start and end and start >= end:  # a window that ends before it begins is left out: all along
            start = end = None
        if not re.fullmatch(NAME, name):
            return console.error(staff, 404)
        reading = await console.experiments.read(name, start=start or EARLIEST, end=end or datetime.now(UTC))
        if reading is None:
            return console.error(staff, 404)
        chosen = {"from": from_ if start else None, "to": to if end else None}
        sections = [_section(metric, scale, reading, staff.lang) for metric, scale in METRICS.items()]
        return console.page(
            "experiment.html.j2",
            staff,
            reading=reading,
            sections=sections,
            chosen=chosen,
            warning=lambda w: _warning(w, staff.lang),
        )

    return router


def _section(metric: str, scale: tuple[float, float], reading: dict[str, Any], lang: str) -> dict[str, Any]:
    """One metric: each variant's value with its interval, as written and as a chart."""
    t = lambda key, **v: texts.text(lang, key, **v)  # noqa: E731
    rate = scale == RATE
    digits = 1 if metric == "nps" else 2

    def shown(value: float | None) -> str:
        if value is None:
            return texts.NONE
        return texts.percent(value, lang) if rate else texts.number(value, lang, digits=digits)

    def moved(value: float | None) -> str:
        """A difference, signed; of rates in percentage points."""
        if value is None:
            return texts.NONE
        sign = "+" if value > 0 else "\u2212" if value < 0 else "\u00b1"
        if rate:
            return f"{sign}{texts.number(abs(100 * value), lang, digits=1)}\u00a0{t('experiment.points')}"
        return f"{sign}{texts.number(abs(value), lang, digits=digits)}"

    rows = []
    for variant in reading["variants"]:
        estimate, versus = variant[metric], (variant["versus_control"] or {}).get(metric)
        rows.append(
            {
                "name": variant["name"],
                "value": shown(estimate["value"]),
                "interval": _interval(shown, estimate["low"], estimate["high"]),
                "n": estimate["n"],
                "count": estimate.get("count"),
                "difference": None if versus is None else moved(versus["difference"]),
                "difference_interval": None if versus is None else _interval(moved, versus["low"], versus["high"]),
                "is_clear": bool(versus and versus["clear"]),
                "plotted": (variant["name"], estimate["value"], estimate["low"], estimate["high"]),
                "expected": shown(variant["expected_share"]) if metric == "share" else None,
            }
        )
    title = t(f"experiment.{metric}")
    description = "; ".join(f"{r['name']}: {r['value']} ({r['interval']}), n={r['n']}" for r in rows)
    return {
        "metric": metric,
        "title": title,
        "rows": rows,
        "chart": charts.intervals(
            [r["plotted"] for r in rows], written=shown, bounds=scale, title=title, description=description
        ),
    }


def _warning(warning: dict[str, Any], lang: str) -> str:
    values = dict(warning["values"])
    for share in ("share", "expected"):
        if share in values:
            values[share] = texts.percent(values[share], lang)
    return texts.text(lang, f"experiment.warning.{warning['code']}", **values)


def _interval(shown, low: float | None, high: float | None) -> str:
    return texts.NONE if low is None or high is None else f"{shown(low)} \u2013 {shown(high)}"
