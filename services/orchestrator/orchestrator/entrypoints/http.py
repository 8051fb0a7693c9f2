"""The orchestrator's HTTP app: operations routes and the support staff's /v1 API."""

import contextlib
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, FastAPI, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from orchestrator.adapters import queries
from orchestrator.adapters.audit import AuditLog
from orchestrator.console.app import error_page, mount_console
from orchestrator.console.web import Console
from orchestrator.domain.journey import InvalidTransition
from orchestrator.entrypoints.dry_runs import dry_runs_router
from orchestrator.entrypoints.experiments import experiments_router
from orchestrator.entrypoints.previews import previews_router
from orchestrator.entrypoints.schemas import ActionRequest, JourneyPage, JourneyStatus, JourneyView
from orchestrator.service_layer.dry_runs import DryRuns
from orchestrator.service_layer.experiments import Experiments
from orchestrator.service_layer.handlers import OperatorAction, operate
from orchestrator.service_layer.previews import Previews
from orchestrator.service_layer.unit_of_work import UnitOfWork
from shared.auth import Principal, TokenAuth
from shared.http import (
    ApiError,
    PlainPath,
    PlainQuery,
    documented_errors,
    install_error_handlers,
    json_response,
    ops_router,
)
from shared.logging import get_logger
from shared.text import PLAIN_PATTERN
from shared.v1 import dead_letters_router

log = get_logger(__name__)

ERRORS = documented_errors(401, 403, 404, 409, 422)
Include = Literal["email"]
RevealReason = Annotated[
    str | None,
    Query(max_length=500, pattern=PLAIN_PATTERN, description="why the address is shown (needed with include=email)"),
]


def create_app(
    *,
    sessions: async_sessionmaker[AsyncSession],
    uow_factory: Callable[[AsyncSession], UnitOfWork],
    auth: TokenAuth,
    readiness,
    console: Console,
    previews: Previews,
    dry_runs: DryRuns,
    experiments: Experiments,
) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI):
        yield
        await console.peers.close()

    app = FastAPI(
        lifespan=lifespan,
        title="Off-boarding orchestrator",
        version="0.1.0",
        description="Support staff's API: find journeys and act on them. Send `Authorization: Bearer <token>`; "
        "`viewer` tokens read, `operator` tokens also act. Every action needs a reason and is audited.",
    )
    install_error_handlers(app, page_prefixes=("/console",), error_page=error_page(console))
    app.include_router(ops_router(readiness))
    app.include_router(dead_letters_router(sessions, auth))
    app.include_router(support_router(sessions, uow_factory, auth))
    app.include_router(previews_router(previews, auth))
    app.include_router(dry_runs_router(dry_runs, auth))
    app.include_router(experiments_router(experiments, auth))
    mount_console(app, console, auth)
    return app


def support_router(
    sessions: async_sessionmaker[AsyncSession], uow_factory: Callable[[AsyncSession], UnitOfWork], auth: TokenAuth
) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["journeys"], responses=ERRORS)
    Viewer = auth.require("viewer")
    Operator = auth.require("operator")

    def wants_email(include: Include | None, principal: Principal, reason: str | None) -> bool:
        if include != "email":
            return False
        if principal.role != "operator":
            raise ApiError(403, "forbidden", "including the customer's email needs the operator role")
        if not reason or not reason.strip():
            # 403 like a viewer's: the address is not shown to anyone who does not say why (kept in the audit log).
            raise ApiError(403, "reason_required", "include=email shows personal data: say why in `reason` (audited)")
        return True

    async def audit_reveal(session: AsyncSession, principal: Principal, journeys: list[dict], reason: str) -> None:
        """Who saw which customer's address, when and why: one audit entry per journey shown, as in the console."""
        await AuditLog(session).record_many(
            at=datetime.now(UTC),
            actor=principal.name,
            role=principal.role,
            action="reveal",
            journey_ids=[uuid.UUID(str(j["id"])) for j in journeys],
            reason=reason.strip(),
        )
        await session.commit()

    @router.get(
        "/journeys",
        response_model=JourneyPage,
        response_model_exclude_unset=True,
        summary="Search journeys, newest first",
    )
    async def search_journeys(
        principal: Viewer,
        customer_id: PlainQuery = None,
        subscription_id: PlainQuery = None,
        email: Annotated[
            str | None, Query(pattern=PLAIN_PATTERN, description="exact address, case-insensitive")
        ] = None,
        status: JourneyStatus | None = None,
        template: PlainQuery = None,
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        cursor: Annotated[
            str | None, Query(pattern=PLAIN_PATTERN, description="next_cursor of the previous page")
        ] = None,
        include: Annotated[
            Include | None,
            Query(description="`email` adds the customer's address (operators only, with a `reason`; audited)"),
        ] = None,
        reason: RevealReason = None,
    ) -> Response:
        filters = queries.SearchFilters(customer_id, subscription_id, email, status, template)
        revealing = wants_email(include, principal, reason)
        async with sessions() as session:
            try:
                items, next_cursor = await queries.search(
                    session, filters, limit=limit, cursor=cursor, with_email=revealing
                )
            except queries.BadCursor as exc:
                raise ApiError(422, "invalid_cursor", str(exc)) from None
            if revealing and items:
                await audit_reveal(session, principal, items, reason)
        return json_response({"items": items, "next_cursor": next_cursor})

    @router.get(
        "/journeys/{journey_id}",
        response_model=JourneyView,
        response_model_exclude_unset=True,
        summary="One journey with steps and timeline",
    )
    async def get_journey(
        journey_id: uuid.UUID, principal: Viewer, include: Include | None = None, reason: RevealReason = None
    ) -> Response:
        revealing = wants_email(include, principal, reason)
        async with sessions() as session:
            journey = await queries.journey_detail(session, journey_id, with_email=revealing)
            if journey is not None and revealing:
                await audit_reveal(session, principal, [journey], reason)
        if journey is None:
            raise ApiError(404, "journey_not_found", f"no journey {journey_id}")
        return json_response(journey)

    @router.get(
        # `:path`: a subscription id may hold a "/" (sent as %2F, which the server decodes before routing).
        "/subscriptions/{subscription_id:path}/journey",
        response_model=JourneyView,
        response_model_exclude_unset=True,
        summary="The subscription's journey (the open one, else the newest)",
        description="Any subscription id the intake accepts, percent-encoded in the path (`/` as `%2F`).",
    )
    async def subscription_journey(
        subscription_id: PlainPath, principal: Viewer, include: Include | None = None, reason: RevealReason = None
    ) -> Response:
        revealing = wants_email(include, principal, reason)
        async with sessions() as session:
            journey_id = await queries.subscription_journey_id(session, subscription_id)
            journey = journey_id and await queries.journey_detail(session, journey_id, with_email=revealing)
            if journey and revealing:
                await audit_reveal(session, principal, [journey], reason)
        if not journey:
            raise ApiError(404, "journey_not_found", f"no journey for subscription {subscription_id}")
        return json_response(journey)

    async def act(
        journey_id: uuid.UUID, action: str, body: ActionRequest, principal: Principal, step: str | None = None
    ) -> dict:
        command = OperatorAction(
            journey_id=journey_id,
            action=action,
            actor=principal.name,
            role=principal.role,
            reason=body.reason,
            step=step,
        )
        async with sessions() as session:
            async with session.begin():
                try:
                    journey = await operate(command, uow_factory(session))
                except InvalidTransition as exc:
                    raise ApiError(409, "invalid_transition", str(exc)) from None
                except KeyError:
                    raise ApiError(404, "step_not_found", f"journey {journey_id} has no step {step!r}") from None
            if journey is None:
                raise ApiError(404, "journey_not_found", f"no journey {journey_id}")
            log.info("operator_action", action=action, journey_id=str(journey_id), step=step, actor=principal.name)
            return await queries.journey_detail(session, journey_id, with_email=False)

    for action, summary in (
        ("pause", "Pause the journey: no step runs until it is resumed"),
        ("resume", "Resume a paused journey: overdue steps run at once"),
        ("cancel", "Cancel the journey: its remaining steps are cancelled"),
        ("erase", "Erase the customer's personal data now, in all three services"),
        (
            "revoke_page_link",
            "Revoke the link to the customer's own page: a new link opens it (and goes into every later email); "
            "the old one opens nothing",
        ),
    ):
        router.add_api_route(
            f"/journeys/{{journey_id}}/{action}",
            _journey_action(act, action, Operator),
            methods=["POST"],
            response_model=JourneyView,
            response_model_exclude_unset=True,
            summary=summary,
            name=f"{action}_journey",
        )
    for action, summary in (
        ("retry", "Retry a failed step now (with a fresh set of attempts)"),
        ("skip", "Skip a step that has not finished, or a failed one"),
    ):
        router.add_api_route(
            f"/journeys/{{journey_id}}/steps/{{step}}/{action}",
            _step_action(act, action, Operator),
            methods=["POST"],
            response_model=JourneyView,
            response_model_exclude_unset=True,
            summary=summary,
            name=f"{action}_step",
        )
    return router


def _journey_action(act, action: str, operator_type):
    async def endpoint(journey_id: uuid.UUID, body: ActionRequest, principal: operator_type) -> dict:
        return await act(journey_id, action, body, principal)

    return endpoint


def _step_action(act, action: str, operator_type):
    async def endpoint(journey_id: uuid.UUID, step: PlainPath, body: ActionRequest, principal: operator_type) -> dict:
        return await act(journey_id, action, body, principal, step)

    return endpoint
