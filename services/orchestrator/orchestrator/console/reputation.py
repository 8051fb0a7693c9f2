"""The sender reputation in the console: the notifier's bounce and complaint rates per day as charts (their
numbers in a table beside them) on the insights page, and the operator's Resume of marketing mail that the
reputation guard paused: a reason, the session's CSRF token, and the notifier keeps who (the staff member's
token fingerprint, on behalf of whom the console asked) and why with the pause."""

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from orchestrator.console import charts, texts
from orchestrator.console.forms import posted
from orchestrator.console.session import same_token
from orchestrator.console.web import Console, Staff, see_other
from shared.text import clean_line

DAYS = 14
STREAMS = ("marketing", "transactional")
# What the notifier's answer to a resume means for the staff member, and the page's status.
OUTCOMES = {"not_paused": 409, "refused": 403, "unreachable": 502}


def reputation_router(console: Console) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def form(staff: Staff, *, problem: str | None = None, reason: str = "", status: int = 200) -> Response:
        return console.page("resume_marketing.html.j2", staff, problem=problem, reason=reason, status=status)

    @router.get("/console/reputation/resume")
    async def confirmation(request: Request) -> Response:
        return form(console.staff(request, operator=True))

    @router.post("/console/reputation/resume")
    async def resume(request: Request) -> Response:
        staff = console.staff(request, operator=True)
        posted_form = await posted(request)
        reason = clean_line(str(posted_form.get("reason", "")))[:500]
        if not same_token(posted_form.get("csrf"), staff.csrf):
            return form(staff, problem="csrf", reason=reason, status=403)
        if not reason:
            return form(staff, problem="confirm.reason", status=422)
        outcome = await console.peers.resume_marketing(reason, on_behalf_of=staff.principal)
        if outcome != "resumed":
            return form(staff, problem=f"resume.{outcome}", reason=reason, status=OUTCOMES[outcome])
        return see_other("/console/insights?done=marketing_resumed")

    return router


def daily_charts(daily: dict | None, reputation: dict | None, lang: str) -> dict:
    """The bounce and complaint rates of the last days per stream (a line each, the guard's threshold dashed),
    and the rows behind them; empty when the notifier did not answer."""
    if not daily or reputation is None:
        return {}
    t = lambda key, **v: texts.text(lang, key, **v)  # noqa: E731
    today = datetime.now(UTC).date()
    days = [(today - timedelta(days=n)).isoformat() for n in range(DAYS - 1, -1, -1)]
    found = {(d["day"], d["stream"]): d for d in daily["days"]}
    rows = [found[key] for key in sorted(found) if key[0] in days]
    percent = lambda value: texts.percent(value, lang)  # noqa: E731
    made = {}
    for kind, threshold in (("bounce", "bounce_threshold"), ("complaint", "complaint_threshold")):
        series = [
            (t(f"reputation.stream.{s}"), [found[(d, s)][f"{kind}_rate"] if (d, s) in found else None for d in days])
            for s in STREAMS
        ]
        limit = reputation[threshold]
        made[kind] = charts.lines(
            days,
            series,
            threshold=(limit, t("reputation.threshold", rate=percent(limit))),
            written=percent,
            title=t(f"reputation.chart.{kind}", days=DAYS),
            description="; ".join(f"{r['day']} {r['stream']}: {percent(r[f'{kind}_rate'])}" for r in rows) or "-",
        )
    return {"charts": made, "rows": rows}
