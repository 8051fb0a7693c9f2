"""HTTP plumbing every service shares: ops routes (health, readiness, metrics), JSON errors, request ids."""

import re
import uuid
from collections.abc import Awaitable, Callable
from importlib import metadata
from typing import Annotated, Any

import pydantic_core
from fastapi import APIRouter, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from shared.events.envelope import describe_validation_error
from shared.logging import bind_correlation, clear_correlation
from shared.text import PLAIN_PATTERN, is_plain

# The release this process runs (CHANGELOG.md): every package of the project carries the same version.
VERSION = metadata.version("offboarding-shared")

ReadinessCheck = Callable[[], Awaitable[dict[str, str]]]
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

# String parameters in a URL: no control characters (the middleware below refuses them with 400).
PlainQuery = Annotated[str | None, Query(pattern=PLAIN_PATTERN)]
PlainPath = Annotated[str, Path(pattern=PLAIN_PATTERN)]


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    """Every error answer: {"error": {"code": ..., "message": ...}}."""

    error: ErrorBody


def documented_errors(*codes: int) -> dict[int, dict]:
    """OpenAPI `responses` for these error statuses, and 400 (a URL with control characters) always; a route
    that takes a token (401) may also refuse an address that guessed too many (429, shared.auth_throttle)."""
    guessing = {429} if 401 in codes else set()
    return {code: {"model": ErrorResponse} for code in sorted({400, *codes, *guessing})}


def documented_pages(*codes: int, json_too: bool = False) -> dict[int, dict]:
    """The same for a route that answers with an HTML page (and, with `json_too`, JSON to a JSON client)."""
    content = {"text/html": {"schema": {"type": "string"}}}
    if json_too:
        content["application/json"] = {"schema": {}}
    return {code: {"description": "a page for the customer", "content": content} for code in sorted({400, *codes})}


class ApiError(Exception):
    """An error answer: {"error": {"code": ..., "message": ...}} with an HTTP status."""

    def __init__(self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def ops_router(readiness: ReadinessCheck, details: ReadinessCheck | None = None) -> APIRouter:
    """/healthz (the process answers), /readyz (its dependencies answer; `details` adds what an operator should
    see without making the service unready), /metrics (Prometheus text)."""
    router = APIRouter(tags=["operations"], responses=documented_errors())

    @router.get("/healthz", summary="Liveness, and the running release's version")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "version": VERSION}

    @router.get(
        "/readyz",
        summary="Readiness: database and Kafka reachable, consumers advancing",
        responses={503: {"description": "a dependency is unreachable or a consumer has stalled"}},
    )
    async def readyz() -> JSONResponse:
        checks = await readiness()
        ready = all(v == "ok" for v in checks.values())
        body: dict = {"status": "ok" if ready else "unavailable", "checks": checks}
        if details is not None:
            body["details"] = await details()
        return JSONResponse(body, status_code=200 if ready else 503)

    @router.get("/metrics", summary="Prometheus metrics", response_class=PlainTextResponse)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


# A page for a person (an HTML route's error) instead of JSON: (request, status) -> the page.
ErrorPage = Callable[[Request, int], HTMLResponse]


def install_error_handlers(
    app: FastAPI, *, page_prefixes: tuple[str, ...] = (), error_page: ErrorPage | None = None
) -> None:
    """Every error answer has the same JSON shape, except under `page_prefixes` (pages customers open), where
    `error_page` answers; request ids go into logs and back to the caller."""

    def refuse(request: Request, status: int, code: str, message: str) -> Response:
        if error_page is not None and request.url.path.startswith(page_prefixes):
            return error_page(request, status)
        return error_response(status, code, message)

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        response = error_response(exc.status, exc.code, exc.message)
        response.headers.update(exc.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return refuse(request, 422, "invalid_request", problems)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        response = refuse(request, exc.status_code, code, str(exc.detail))
        response.headers.update(exc.headers or {})
        if exc.status_code == 405:
            response.headers["Allow"] = ", ".join(_allowed_methods(app, request))  # RFC 9110: all of them
        return response

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, _exc: Exception) -> JSONResponse:
        return error_response(500, "internal_error", "something went wrong on our side; it has been logged")

    app.add_middleware(RequestIds, refuse=refuse)


class RequestIds:
    """Gives every request an id (the caller's when it is a plain token) for logs and the X-Request-ID
    header, and refuses URLs with control characters. A plain ASGI middleware: Starlette's BaseHTTPMiddleware
    runs each request in an extra task and stream, which cost about a millisecond per request (py-spy)."""

    def __init__(self, app, *, refuse: Callable[[Request, int, str, str], Response]) -> None:
        self.app, self.refuse = app, refuse

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request = Request(scope, receive)
        given = request.headers.get("x-request-id", "")
        rid = given if REQUEST_ID.match(given) else uuid.uuid4().hex
        if not _plain_url(request):
            # U+0000 and other control characters in a path or query value reach no handler and no database
            # (PostgreSQL cannot store them; logs and headers must not carry them).
            response = self.refuse(request, 400, "invalid_request", "the URL holds control characters or invalid text")
            response.headers["X-Request-ID"] = rid
            return await response(scope, receive, send)

        async def send_with_id(message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["X-Request-ID"] = rid
            await send(message)

        bind_correlation(request_id=rid)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            clear_correlation()


def _allowed_methods(app: FastAPI, request: Request) -> list[str]:
    """Every method some route serves at this path (one path may be split over several routes)."""
    methods: set[str] = set()
    for route in app.router.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match != Match.NONE and getattr(route, "methods", None):
            methods |= set(route.methods)
    return sorted(methods | ({"HEAD"} if "GET" in methods else set()))


def _plain_url(request: Request) -> bool:
    """The decoded path and every query key and value are free of control characters."""
    if not is_plain(request.url.path):
        return False
    return all(is_plain(key) and is_plain(value) for key, value in request.query_params.multi_items())


def json_response(content: Any, status_code: int = 200) -> Response:
    """Already-shaped content (dicts with exactly the response model's fields) serialised by pydantic's core
    directly: FastAPI's validation of a returned dict against the response model cost more than the query on
    a page of 50 journeys. The route keeps `response_model` for the OpenAPI description; a test checks the
    output equals the model's."""
    return Response(pydantic_core.to_json(content), status_code=status_code, media_type="application/json")


__all__ = [
    "ApiError",
    "ErrorResponse",
    "PlainPath",
    "PlainQuery",
    "describe_validation_error",
    "documented_errors",
    "documented_pages",
    "error_response",
    "install_error_handlers",
    "json_response",
    "ops_router",
]
