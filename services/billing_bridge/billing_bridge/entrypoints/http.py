"""The bridge's HTTP app: one webhook route per provider (the only routes meant to face the internet) and the
operations routes. A route reads the raw body (at most BILLING_MAX_BODY_BYTES) and hands it, unparsed, to the
service layer, which verifies it first; the answer is one a provider acts on (2xx, 400, 503 with Retry-After).
Each source address may send BILLING_RATE_PER_ADDRESS requests a second (429 beyond)."""

import time
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import Counter, Histogram

from billing_bridge.adapters.customer_api import Unavailable
from billing_bridge.adapters.verification import Refused
from billing_bridge.config import Settings
from billing_bridge.service_layer.webhooks import Answer, Webhooks
from shared.auth import client_address
from shared.http import documented_errors, error_response, install_error_handlers, ops_router
from shared.logging import get_logger
from shared.rate_limit import RateLimit

log = get_logger(__name__)
WEBHOOKS = Counter(
    "bridge_webhooks_total",
    "Webhooks by provider and outcome (accepted, ignored, unusable, refused, unavailable, limited) and reason",
    ["provider", "outcome", "reason"],
)
PUBLISHED = Counter("bridge_events_published_total", "Events published for webhooks, by provider", ["provider"])
ANSWERED = Histogram("bridge_webhook_seconds", "Time to answer a webhook, by provider", ["provider"])

# provider -> (route, the setting that must hold a secret for the route to be served)
ROUTES = {
    "stripe": ("/webhooks/stripe", "stripe_webhook_secret"),
    "paddle": ("/webhooks/paddle", "paddle_webhook_secret"),
    "chargebee": ("/webhooks/chargebee", "chargebee_webhook_credentials"),
    "recurly": ("/webhooks/recurly", "recurly_webhook_secret"),
    "http": ("/v1/events", "webhook_secret"),
}


def create_app(*, webhooks: Webhooks, settings: Settings, readiness) -> FastAPI:
    app = FastAPI(
        title="Off-boarding billing bridge",
        version="0.1.0",
        description="Webhooks of Stripe, Paddle, Chargebee, Recurly and Standard Webhooks, verified and published "
        "as subscription.cancelled / subscription.reactivated (docs/billing.md).",
    )
    install_error_handlers(app)
    app.include_router(ops_router(readiness))
    app.include_router(webhook_router(webhooks, settings))
    return app


def webhook_router(webhooks: Webhooks, settings: Settings) -> APIRouter:
    router = APIRouter(tags=["webhooks"], responses=documented_errors(400, 404, 413, 429, 503))
    limit = RateLimit(rate=settings.rate_per_address, burst=2 * settings.rate_per_address)
    handlers: dict[str, Callable[[bytes, object], Awaitable[Answer]]] = {
        "stripe": webhooks.stripe,
        "paddle": webhooks.paddle,
        "chargebee": webhooks.chargebee,
        "recurly": webhooks.recurly,
        "http": webhooks.standard,
    }
    for provider, (path, secret) in ROUTES.items():
        router.add_api_route(
            path,
            _endpoint(provider, handlers[provider], settings, limit, served=bool(settings.secrets(secret))),
            methods=["POST"],
            summary=f"A {provider} webhook" if provider != "http" else "A CloudEvent, signed as Standard Webhooks",
            name=f"{provider}_webhook",
        )
    return router


def _endpoint(provider: str, handle, settings: Settings, limit: RateLimit, *, served: bool):
    async def endpoint(request: Request) -> Response:
        started = time.perf_counter()
        try:
            return await _answer(provider, handle, request, settings, limit, served)
        finally:
            ANSWERED.labels(provider).observe(time.perf_counter() - started)

    return endpoint


async def _answer(provider: str, handle, request: Request, settings: Settings, limit: RateLimit, served: bool):
    if not served:
        return _counted(
            provider,
            "refused",
            "not_configured",
            error_response(404, "not_configured", f"no {provider} secret is configured"),
        )
    wait = limit.wait(client_address(request))
    if wait:
        response = error_response(429, "too_many_requests", "too many requests from this address")
        response.headers["Retry-After"] = str(wait)
        return _counted(provider, "limited", "rate", response)
    body = await _body(request, settings.max_body_bytes)
    if body is None:
        return _counted(provider, "refused", "too_large", error_response(413, "too_large", "the body is too large"))
    try:
        answer = await handle(body, request.headers)
    except Refused as refused:
        log.warning("webhook_refused", provider=provider, reason=refused.reason)
        message = refused.detail or f"the webhook was refused: {refused.reason}"
        return _counted(provider, "refused", refused.reason, error_response(400, refused.reason, message))
    except Unavailable as away:
        log.warning("webhook_unavailable", provider=provider, what=away.what)
        response = error_response(503, "unavailable", "a dependency cannot be reached now; send it again later")
        response.headers["Retry-After"] = str(settings.retry_after_seconds)
        return _counted(provider, "unavailable", away.what.split(":")[0], response)
    if answer.outcome == "unusable":
        log.warning("webhook_unusable", provider=provider, reason=answer.reason)
    PUBLISHED.labels(provider).inc(answer.published)
    content = {"status": answer.outcome, "published": answer.published} | (
        {"reason": answer.reason} if answer.reason else {}
    )
    return _counted(provider, answer.outcome, answer.reason or "", JSONResponse(content, status_code=answer.status))


def _counted(provider: str, outcome: str, reason: str, response: Response) -> Response:
    WEBHOOKS.labels(provider, outcome, reason).inc()
    return response


async def _body(request: Request, limit: int) -> bytes | None:
    """The raw body, or None when it is longer than `limit` (read no further than that)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
