"""The email providers' webhooks: `POST /webhooks/email/ses` (SNS), `/webhooks/email/sendgrid`,
`/webhooks/email/postmark`. Each is verified first (adapters/provider_verification.py); its events become the
same feedback records as a mailed bounce. Answers: 200 once recorded (also for events that are no feedback);
400 for what is not the provider's or cannot be read; 404 for a provider not configured; 413 over the size
limit; 503 with Retry-After when the database or SNS's certificate cannot be reached (the provider retries)."""

import json
from collections.abc import Callable
from datetime import datetime

import httpx
from fastapi import APIRouter, Request

from notifier.adapters.provider_verification import (
    NotVerified,
    SnsUnavailable,
    SnsVerifier,
    verify_basic,
    verify_sendgrid,
)
from notifier.config import Settings
from notifier.domain import provider_events
from notifier.service_layer.feedback import FeedbackDesk
from shared.errors import is_transient
from shared.http import ApiError, documented_errors
from shared.logging import get_logger

log = get_logger(__name__)
RETRY_AFTER = {"Retry-After": "60"}


def email_webhooks_router(
    desk: FeedbackDesk, settings: Settings, client: httpx.AsyncClient, *, clock: Callable[[], datetime]
) -> APIRouter:
    router = APIRouter(
        prefix="/webhooks/email", tags=["email feedback"], responses=documented_errors(400, 404, 413, 503)
    )
    topics = {t.strip() for t in settings.ses_topic_arns.split(",") if t.strip()}
    sns = SnsVerifier(client, url_pattern=settings.sns_cert_url_pattern, topic_arns=topics) if topics else None
    postmark = settings.postmark_webhook_credentials
    postmark_credentials = [c.strip() for c in postmark.get_secret_value().split(",")] if postmark else []

    async def body_of(request: Request) -> bytes:
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > settings.feedback_max_bytes:
                raise ApiError(413, "too_large", f"over {settings.feedback_max_bytes} bytes")
        return bytes(body)

    def parsed(text: bytes | str) -> object:
        try:
            return json.loads(text)
        except ValueError:
            raise ApiError(400, "unreadable", "the body is not JSON") from None

    async def record(items: list[provider_events.ProviderFeedback]) -> dict:
        if not items:
            return {"status": "ignored", "recorded": {}}
        try:
            outcomes = await desk.from_provider(items)
        except Exception as exc:
            if is_transient(exc):
                raise ApiError(503, "unavailable", "try again later", headers=RETRY_AFTER) from None
            raise
        return {"status": "accepted", "recorded": outcomes}

    def refused(provider: str, error: NotVerified) -> ApiError:
        log.warning("email_webhook_refused", provider=provider, reason=str(error))  # no body, no address
        return ApiError(400, "not_verified", str(error))

    @router.post("/ses", summary="Amazon SES bounces and complaints through SNS")
    async def ses(request: Request) -> dict:
        if sns is None:
            raise ApiError(404, "not_configured", "set NOTIFIER_SES_TOPIC_ARNS")
        message = parsed(await body_of(request))
        try:
            await sns.verify(message)
        except NotVerified as error:
            raise refused("ses", error) from None
        except SnsUnavailable:
            raise ApiError(
                503, "unavailable", "the signing certificate could not be read", headers=RETRY_AFTER
            ) from None
        if message["Type"] == "SubscriptionConfirmation":
            if not sns.allowed_url(message.get("SubscribeURL")):
                raise ApiError(400, "not_verified", "a subscribe URL outside the allowed SNS hosts")
            try:
                (await client.get(message["SubscribeURL"])).raise_for_status()
            except httpx.HTTPError:
                raise ApiError(
                    503, "unavailable", "the subscription could not be confirmed", headers=RETRY_AFTER
                ) from None
            log.info("ses_subscription_confirmed")
            return {"status": "subscribed", "recorded": {}}
        if message["Type"] != "Notification":
            return {"status": "ignored", "recorded": {}}
        try:
            notification = json.loads(message.get("Message") or "")
        except ValueError:
            return {"status": "ignored", "recorded": {}}
        return await record(provider_events.ses(notification, received_at=clock()))

    @router.post("/sendgrid", summary="SendGrid's signed event webhook")
    async def sendgrid(request: Request) -> dict:
        if not settings.sendgrid_webhook_public_key:
            raise ApiError(404, "not_configured", "set NOTIFIER_SENDGRID_WEBHOOK_PUBLIC_KEY")
        body = await body_of(request)
        try:
            payload = verify_sendgrid(body, request.headers, public_key=settings.sendgrid_webhook_public_key)
        except NotVerified as error:
            raise refused("sendgrid", error) from None
        return await record(provider_events.sendgrid(parsed(payload), received_at=clock()))

    @router.post("/postmark", summary="Postmark's bounce and spam-complaint webhooks")
    async def postmark_hook(request: Request) -> dict:
        if not postmark_credentials:
            raise ApiError(404, "not_configured", "set NOTIFIER_POSTMARK_WEBHOOK_CREDENTIALS")
        try:
            verify_basic(request.headers, credentials=postmark_credentials)
        except NotVerified as error:
            raise refused("postmark", error) from None
        body = await body_of(request)
        return await record(provider_events.postmark(parsed(body), received_at=clock()))

    return router
