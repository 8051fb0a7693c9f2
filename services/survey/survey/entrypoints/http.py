"""The survey service's HTTP app: the exit survey (/s/{token}) and the customer's own page (/p/{token}) for the
leaving customer, insights for staff (/v1)."""

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Literal
from urllib.parse import parse_qs

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.auth import TokenAuth
from shared.brand import Brand
from shared.http import (
    ApiError,
    PlainPath,
    PlainQuery,
    documented_errors,
    documented_pages,
    error_response,
    install_error_handlers,
    ops_router,
)
from shared.keyring import Keyring
from shared.page_security import CustomerPages
from shared.query_dates import QueryMoment, window
from shared.v1 import dead_letters_router
from survey.adapters.customer_page_view import page_message
from survey.adapters.insights import answer_of, insights
from survey.adapters.pages import field_errors, form_page, message_page
from survey.domain.answers import Answer, form_values
from survey.entrypoints.customer_pages import PageSetup, customer_page_router
from survey.service_layer.handlers import Topics, find_survey, state, submit_answer

MAX_BODY = 16_384
STATUS = {"thanks": 200, "answered": 409, "expired": 410, "unknown": 404}


def create_app(
    *,
    sessions: async_sessionmaker[AsyncSession],
    auth: TokenAuth,
    readiness,
    topics: Topics,
    secret: bytes,
    clock: Callable[[], datetime],
    brand: Brand,
    keyring_schema: str,
    public_url: str,
    page: PageSetup,
) -> FastAPI:
    app = FastAPI(
        title="Off-boarding survey",
        version="0.1.0",
        description="The exit survey customers answer, their own off-boarding page, and churn insights for staff.",
    )
    install_error_handlers(
        app,
        page_prefixes=("/s/", "/p/"),
        error_page=lambda request, status: HTMLResponse(
            page_message("en", "unknown", brand=brand)
            if request.url.path.startswith("/p/")
            else message_page(None, "unknown", brand=brand),
            status_code=status,
        ),
    )
    # The customer's pages and their error pages: security headers, and no form post from another site.
    app.add_middleware(
        CustomerPages,
        prefixes=("/s/", "/p/"),
        public_url=public_url,
        refusal_page=lambda: message_page(None, "cross_site", brand=brand).encode(),
    )
    app.include_router(ops_router(readiness))
    app.include_router(dead_letters_router(sessions, auth))
    app.include_router(survey_router(sessions, topics, secret, clock, brand, keyring_schema))
    app.include_router(customer_page_router(page))
    app.include_router(insights_router(sessions, auth))
    return app


def survey_router(sessions, topics: Topics, secret: bytes, clock, brand: Brand, keyring_schema: str) -> APIRouter:
    router = APIRouter(tags=["survey"])

    @router.get(
        "/s/{token}",
        response_class=HTMLResponse,
        responses=documented_pages(404, 409, 410, 422),
        summary="The exit survey (HTML, works without JavaScript)",
    )
    async def show(token: PlainPath) -> HTMLResponse:
        async with sessions() as session:
            survey = await find_survey(session, token, secret)
        refusal = state(survey, clock())
        locale = survey.locale if survey else None
        if refusal is not None:
            return HTMLResponse(message_page(locale, refusal, brand=brand), status_code=STATUS[refusal])
        return HTMLResponse(form_page(locale, f"/s/{token}", brand=brand))

    @router.post(
        "/s/{token}",
        response_class=HTMLResponse,
        responses=documented_pages(200, 404, 409, 410, 413, 422, json_too=True),
        summary="Submit the answer: a form post (answered with a page) or JSON (answered with JSON)",
    )
    async def submit(token: PlainPath, request: Request) -> Response:
        wants_json = "json" in request.headers.get("content-type", "")
        body = await request.body()
        if len(body) > MAX_BODY:
            return _refuse(wants_json, None, 413, "too_large", "the answer is too long", brand=brand)
        try:
            values = _read(body, wants_json)
        except (ValueError, RecursionError):
            return error_response(400, "invalid_json", "the body is not a JSON object")
        try:
            answer = Answer.model_validate(form_values(values))
        except ValidationError as exc:
            fields = {str(e["loc"][0]) if e["loc"] else "reason" for e in exc.errors()}
            async with sessions() as session:
                survey = await find_survey(session, token, secret)
            if survey is None:
                return _refuse(wants_json, None, 404, "unknown", brand=brand)
            if wants_json:
                problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'answer'}: {e['msg']}" for e in exc.errors())
                return error_response(422, "invalid_answer", problems)
            errors = field_errors(survey.locale, fields)
            page = form_page(survey.locale, f"/s/{token}", brand=brand, values=values, errors=errors)
            return HTMLResponse(page, status_code=422)
        async with sessions() as session, session.begin():
            verdict, survey = await submit_answer(
                token,
                answer,
                session,
                topics=topics,
                secret=secret,
                now=clock(),
                keyring=Keyring(session, keyring_schema),
            )
        if wants_json:
            if verdict == "thanks":
                return JSONResponse({"status": "received"})
            return error_response(STATUS[verdict], f"survey_{verdict}", _JSON_REFUSALS[verdict])
        page = message_page(
            survey.locale if survey else None,
            verdict,
            brand=brand,
            may_contact=answer.may_contact if verdict == "thanks" else None,
        )
        return HTMLResponse(page, status_code=STATUS[verdict])

    return router


_JSON_REFUSALS = {
    "answered": "this survey has been answered already",
    "expired": "this survey has expired",
    "unknown": "no such survey",
}


def _refuse(
    wants_json: bool, locale: str | None, status: int, which: str, message: str | None = None, *, brand: Brand
) -> Response:
    if wants_json:
        return error_response(status, which, message or _JSON_REFUSALS.get(which, which))
    return HTMLResponse(message_page(locale, which if which in STATUS else "unknown", brand=brand), status_code=status)


def _read(body: bytes, wants_json: bool) -> dict:
    if wants_json:
        document = json.loads(body or b"{}")
        if not isinstance(document, dict):
            raise ValueError("not an object")
        return document
    return {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}


def insights_router(sessions, auth: TokenAuth) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["insights"], responses=documented_errors(401, 403, 422))
    Viewer = auth.require("viewer")

    @router.get("/insights", summary="Churn reasons, score distribution, NPS, response rate")
    async def churn_insights(
        _principal: Viewer,
        from_: Annotated[
            QueryMoment | None, Query(alias="from", description="start (inclusive); default 30 days ago")
        ] = None,
        to: Annotated[QueryMoment | None, Query(description="end (exclusive; a date means the whole day)")] = None,
        segment: Literal["b2c", "b2b"] | None = None,
        plan: PlainQuery = None,
        template: PlainQuery = None,
    ) -> dict:
        try:
            start, end = window(from_, to, default_span=timedelta(days=30))
        except ValueError as exc:
            raise ApiError(422, "invalid_range", str(exc)) from None
        async with sessions() as session:
            return await insights(session, start=start, end=end, segment=segment, plan=plan, template=template)

    @router.get(
        "/answers/{journey_id}",
        responses=documented_errors(404),
        summary="One journey's exit-survey answer (the comment without contact details)",
    )
    async def journey_answer(journey_id: PlainPath, _principal: Viewer) -> dict:
        async with sessions() as session:
            found = await answer_of(session, journey_id)
        if found is None:
            raise ApiError(404, "answer_not_found", "this journey's survey has no answer")
        return found

    return router
