"""The author's preview in the console: paste a cancellation's data (or pick a sample), choose a template or
let the rules choose, assume a survey answer or none, and read the plan and every email as the customer would
receive it. Posted, not in the URL: the data holds a customer's address. Nothing is stored or sent."""

import json
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from orchestrator.console.forms import posted
from orchestrator.console.session import same_token
from orchestrator.console.web import CSP, Console, Staff, secured
from orchestrator.service_layer.previews import UnknownTemplate
from orchestrator.tools.sample_events import cancellation
from shared.events.envelope import describe_validation_error
from shared.events.subscription import SubscriptionCancelled

SAMPLES = ("b2c", "b2b", "involuntary")
# The emails are shown in sandboxed srcdoc frames, which take this page's policy: their own inline styles
# are allowed here, and still no script, no network.
PREVIEW_PAGE_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


def sample(kind: str) -> str:
    """A made-up cancellation to start from: a consumer with consent, a business, a failed payment."""
    event = cancellation(
        "sub_preview",
        segment="b2b" if kind == "b2b" else "b2c",
        initiated_by="payment_failure" if kind == "involuntary" else "customer",
        consent=kind == "b2c",
        cancelled_at=datetime.now(UTC).replace(microsecond=0),
        **({"reason": None} if kind == "involuntary" else {}),
    )
    return json.dumps(event.data, indent=2, ensure_ascii=False)


def previews_page_router(console: Console) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def form(staff: Staff, **values) -> Response:
        context = {"data": sample("b2c"), "template": "", "score": "", "plan": None, "problem": None} | values
        response = console.page(
            "previews.html.j2", staff, templates=console.catalogue.names(), samples=SAMPLES, **context
        )
        return secured(response, csp=PREVIEW_PAGE_CSP)

    @router.get("/console/previews")
    async def start(request: Request) -> Response:
        staff = console.staff(request)
        kind = request.query_params.get("sample")
        return form(staff, data=sample(kind if kind in SAMPLES else "b2c"))

    @router.post("/console/previews")
    async def preview(request: Request) -> Response:
        staff = console.staff(request)
        posted_form = await posted(request)
        data, template, score = (posted_form.get(k, "") for k in ("data", "template", "score"))
        values = {"data": data, "template": template, "score": score}
        if not same_token(posted_form.get("csrf"), staff.csrf):
            return form(staff, problem=("csrf", {}), status=403, **values)
        try:
            cancelled = SubscriptionCancelled.model_validate(json.loads(data))
        except json.JSONDecodeError as exc:
            return form(staff, problem=("previews.not_json", {"line": exc.lineno}), status=422, **values)
        except ValidationError as exc:
            detail = describe_validation_error(exc)
            return form(staff, problem=("previews.invalid", {"detail": detail}), status=422, **values)
        survey = (
            {"score": int(score), "reason": None, "may_contact": False}
            if score.isdigit() and int(score) <= 10
            else None
        )
        try:
            plan = await console.previews.preview(
                cancelled, template=template if template in console.catalogue.names() else None, survey=survey
            )
        except UnknownTemplate:
            return form(staff, problem=("previews.invalid", {"detail": template}), status=422, **values)
        return form(staff, plan=plan, **values)

    return router
