"""What an operator does in the console: each action asks for a reason on a confirmation page, carries the
session's CSRF token, is audited, and answers with the journey again, or says in words why it cannot be done.
Also the search by email address, which is posted so that no address ends up in a URL or an access log."""

import uuid
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from orchestrator.adapters.repository import email_hash
from orchestrator.console import texts
from orchestrator.console.forms import posted
from orchestrator.console.pages import journey_page
from orchestrator.console.session import same_token
from orchestrator.console.web import Console, Staff, see_other
from orchestrator.domain.journey import InvalidTransition
from orchestrator.service_layer.handlers import OperatorAction, operate
from shared.text import clean_paragraphs

ACTIONS = ("pause", "resume", "cancel", "erase", "retry", "skip", "reveal", "revoke_page_link")
STEP_ACTIONS = frozenset({"retry", "skip"})
Step = Annotated[str | None, Query(pattern=r"^[A-Za-z0-9_-]{1,100}$")]


def actions_router(console: Console) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    def confirm(staff: Staff, journey_id: uuid.UUID, action: str, step: str | None, **extra) -> Response:
        return console.page(
            "confirm.html.j2",
            staff,
            journey_id=journey_id,
            action=action,
            step=step,
            **({"problem": None, "status": 200, "reason": ""} | extra),
        )

    @router.get("/console/journeys/{journey_id}/actions/{action}")
    async def confirmation(request: Request, journey_id: uuid.UUID, action: str, step: Step = None) -> Response:
        staff = console.staff(request, operator=True)
        if action not in ACTIONS or (action in STEP_ACTIONS) != (step is not None):
            return console.error(staff, 404)
        return confirm(staff, journey_id, action, step)

    @router.post("/console/journeys/{journey_id}/actions/{action}")
    async def act(request: Request, journey_id: uuid.UUID, action: str, step: Step = None) -> Response:
        staff = console.staff(request, operator=True)
        if action not in ACTIONS or (action in STEP_ACTIONS) != (step is not None):
            return console.error(staff, 404)
        form = await posted(request)
        reason = clean_paragraphs(str(form.get("reason", "")))[:500]
        if not same_token(form.get("csrf"), staff.csrf):
            return confirm(staff, journey_id, action, step, problem=("csrf", {}), status=403, reason=reason)
        if not reason:
            return confirm(staff, journey_id, action, step, problem=("confirm.reason", {}), status=422)
        if action == "reveal":
            return await reveal(staff, journey_id, reason)
        command = OperatorAction(journey_id, action, staff.principal, staff.role, reason, step)
        refused = False
        async with console.db() as session, session.begin():
            try:
                journey = await operate(command, console.uow_factory(session))
            except InvalidTransition:
                refused = True
            except KeyError:
                journey = None
        if refused:
            # Read only after the transaction above has ended: it holds the journey's row lock.
            why = await refusal(journey_id, action, step, staff.lang)
            return confirm(
                staff, journey_id, action, step, problem=("refused", {"why": why}), status=409, reason=reason
            )
        if journey is None:
            return console.error(staff, 404)
        return see_other(f"/console/journeys/{journey_id}?done={action}")

    async def refusal(journey_id: uuid.UUID, action: str, step: str | None, lang: str) -> str:
        """Why the journey's state does not allow the action, in the staff member's language."""
        async with console.db() as session:
            journey = await console.uow_factory(session).journeys.get(journey_id)
        status = journey.status if journey else "cancelled"
        step_status = next((s.status for s in journey.steps if s.name == step), "?") if journey else "?"
        return texts.text(
            lang,
            f"refused.{action}",
            status=texts.text(lang, f"status.{status}"),
            step_status=texts.text(lang, f"status.{step_status}"),
        )

    async def reveal(staff: Staff, journey_id: uuid.UUID, reason: str) -> Response:
        """Show the customer's email and name on this page only, and keep who looked, when and why."""
        async with console.db() as session, session.begin():
            uow = console.uow_factory(session)
            if await uow.journeys.get(journey_id) is None:
                return console.error(staff, 404)
            await uow.audit.record(
                at=datetime.now(UTC),
                actor=staff.principal,
                role=staff.role,
                action="reveal",
                journey_id=journey_id,
                step=None,
                reason=reason,
            )
        return await journey_page(console, staff, journey_id, revealed=True)

    @router.post("/console/search")
    async def search_by_email(request: Request) -> Response:
        staff = console.staff(request)
        form = await posted(request)
        address = str(form.get("email", "")).strip()
        if not same_token(form.get("csrf"), staff.csrf) or not address:
            return see_other("/console/journeys")
        return see_other(f"/console/journeys?email_ref={email_hash(address)}")

    return router
