"""HTTP plumbing every service shares: ops routes (health, readiness, metrics), JSON errors, request ids."""

import uuid
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException

from shared.events.envelope import describe_validation_error
from shared.logging import bind_correlation, clear_correlation

ReadinessCheck = Callable[[], Awaitable[dict[str, str]]]


class ApiError(Exception):
    """An error answer: {"error": {"code": ..., "message": ...}} with an HTTP status."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def ops_router(readiness: ReadinessCheck) -> APIRouter:
    """/healthz (the process answers), /readyz (its dependencies answer), /metrics (Prometheus text)."""
    router = APIRouter(tags=["operations"])

    @router.get("/healthz", summary="Liveness")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Readiness: database and Kafka reachable")
    async def readyz() -> JSONResponse:
        checks = await readiness()
        ready = all(v == "ok" for v in checks.values())
        return JSONResponse(
            {"status": "ok" if ready else "unavailable", "checks": checks}, status_code=200 if ready else 503
        )

    @router.get("/metrics", summary="Prometheus metrics", response_class=PlainTextResponse)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router


def install_error_handlers(app: FastAPI) -> None:
    """Every error answer has the same JSON shape; request ids go into logs and back to the caller."""

    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return error_response(422, "invalid_request", problems)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail))

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, _exc: Exception) -> JSONResponse:
        return error_response(500, "internal_error", "something went wrong on our side; it has been logged")

    @app.middleware("http")
    async def request_id(request: Request, call_next):
        rid = request.headers.get("x-request-id") or uuid.uuid4().hex
        bind_correlation(request_id=rid)
        try:
            response = await call_next(request)
        finally:
            clear_correlation()
        response.headers["X-Request-ID"] = rid
        return response


__all__ = ["ApiError", "describe_validation_error", "error_response", "install_error_handlers", "ops_router"]
