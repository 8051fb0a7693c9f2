"""The console's pages about journeys: find one, see what happened and what happens next, preview a message."""

import asyncio
import re
import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response

from orchestrator.adapters import console_queries, queries
from orchestrator.adapters.peers import ERASED
from orchestrator.adapters.status_counts import STATUSES
from orchestrator.console.forms import Text, day, link
from orchestrator.console.web import PREVIEW_CSP, Console, Staff, secured

PAGE = 50
HASH = re.compile(r"^[0-9a-f]{64}$")
DONE = frozenset({"pause", "resume", "cancel", "erase", "retry", "skip"})
CommandId = Annotated[str, Path(pattern=r"^[A-Za-z0-9._:-]{1,200}$")]


def journeys_router(console: Console) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/console/journeys")
    async def find(
        request: Request,
        customer_id: Text = None,
        subscription_id: Text = None,
        status: Text = None,
        template: Text = None,
        segment: Text = None,
        from_: Annotated[Text, Query(alias="from")] = None,
        to: Text = None,
        email_ref: Text = None,
        cursor: Text = None,
    ) -> Response:
        staff = console.staff(request)
        chosen = {
            "customer_id": customer_id or None,
            "subscription_id": subscription_id or None,
            "status": status if status in STATUSES else None,
            "template": template if template in console.catalogue.names() else None,
            "segment": segment if segment in ("b2c", "b2b") else None,
            "from": from_ if day(from_, staff.tz) else None,
            "to": to if day(to, staff.tz) else None,
            "email_ref": email_ref if email_ref and HASH.match(email_ref) else None,
        }
        filters = queries.SearchFilters(
            customer_id=chosen["customer_id"],
            subscription_id=chosen["subscription_id"],
            status=chosen["status"],
            template=chosen["template"],
            segment=chosen["segment"],
            email_hash=chosen["email_ref"],
            started_from=day(from_, staff.tz),
            started_before=day(to, staff.tz),
        )
        async with console.db() as session:
            try:
                items, next_cursor = await queries.search(
                    session, filters, limit=PAGE, cursor=cursor, with_email=False, with_details=False
                )
            except queries.BadCursor:
                items, next_cursor = await queries.search(
                    session, filters, limit=PAGE, cursor=None, with_email=False, with_details=False
                )
        kept = {k: v for k, v in chosen.items() if v}
        return console.page(
            "journeys.html.j2",
            staff,
            items=items,
            chosen=chosen,
            next_url=link("/console/journeys", kept | {"cursor": next_cursor}) if next_cursor else None,
            counts=console.counts.counts,
            counted_at=console.counts.at,
            statuses=STATUSES,
            templates=console.catalogue.names(),
        )

    @router.get("/console/journeys/{journey_id}")
    async def journey(
        request: Request, journey_id: uuid.UUID, done: Annotated[str | None, Query(max_length=20)] = None
    ) -> Response:
        staff = console.staff(request)
        return await journey_page(console, staff, journey_id, done=done if done in DONE else None)

    @router.get("/console/journeys/{journey_id}/messages/{command_id}")
    async def preview(request: Request, journey_id: uuid.UUID, command_id: CommandId) -> Response:
        staff = console.staff(request)
        step = request.query_params.get("step", "")
        found = await console.peers.preview(command_id)
        return console.page(
            "preview.html.j2",
            staff,
            journey_id=journey_id,
            command_id=command_id,
            step=step if re.fullmatch(r"[a-z0-9_]{1,60}", step) else "",
            preview=found if isinstance(found, dict) else None,
            erased=found == ERASED,
            unavailable=found is None,
        )

    @router.get("/console/journeys/{journey_id}/messages/{command_id}/html")
    async def preview_html(request: Request, journey_id: uuid.UUID, command_id: CommandId) -> Response:
        console.staff(request)
        found = await console.peers.preview(command_id)
        html = found["html"] if isinstance(found, dict) else "<!doctype html><title>-</title>"
        return secured(HTMLResponse(html), csp=PREVIEW_CSP)

    return router


async def journey_page(
    console: Console, staff: Staff, journey_id: uuid.UUID, *, done: str | None = None, revealed: bool = False
) -> Response:
    """What happened to this customer and what happens next, in one page."""
    async with console.db() as session:
        journey = await queries.journey_detail(session, journey_id, with_email=False)
        if journey is None:
            return console.error(staff, 404)
        customer = await console_queries.customer_of(session, journey_id)
        audit, _ = await console_queries.audit_entries(
            session, console_queries.AuditFilters(journey_id=journey_id), limit=100
        )
    deliveries, answer = await asyncio.gather(
        console.peers.deliveries(str(journey_id)), console.peers.answer(str(journey_id))
    )
    if not (revealed and staff.operator):
        customer = customer | {"email": None, "name": None, "company": None}
    by_step: dict[str, list[dict]] = {}
    for delivery in deliveries or []:
        by_step.setdefault(delivery["step"], []).append(delivery)
    return console.page(
        "journey.html.j2",
        staff,
        j=journey,
        customer=customer,
        customer_tz=customer.get("timezone") or "UTC",
        revealed=revealed and staff.operator,
        deliveries=by_step,
        deliveries_unavailable=deliveries is None,
        answer=answer,
        audit=audit,
        done=done,
        actions=journey_actions(journey),
    )


def journey_actions(journey: dict) -> list[str]:
    """The operator actions the journey's status allows (the domain refuses the others anyway)."""
    status, erased = journey["status"], journey["erased_at"] is not None
    allowed = {"active": ["pause", "cancel"], "paused": ["resume", "cancel"], "failed": ["cancel"]}.get(status, [])
    return allowed + ([] if erased else ["erase", "revoke_page_link"])
