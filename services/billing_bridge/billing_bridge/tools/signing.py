"""How each provider signs a webhook, for the parts that stand in for a provider: the tests, `make
publish-sample ARGS="--via stripe"` and the benchmark. Written from each provider's documentation (and, for
Standard Webhooks, with its library), independently of the verification in adapters/verification.py, which uses
the providers' SDKs."""

import base64
import hashlib
import hmac
import time
import uuid

from standardwebhooks import Webhook as StandardWebhook


def stripe_headers(body: bytes, secret: str, *, at: int | None = None) -> dict[str, str]:
    """`Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "t.body">` (https://docs.stripe.com/webhooks#verify-manually)."""
    at = int(time.time()) if at is None else at
    signature = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={at},v1={signature}", "Content-Type": "application/json"}


def paddle_headers(body: bytes, secret: str, *, at: int | None = None) -> dict[str, str]:
    """`Paddle-Signature: ts=<unix>;h1=<hex HMAC-SHA256 of "ts:body">` (developer.paddle.com signature verification)."""
    at = int(time.time()) if at is None else at
    signature = hmac.new(secret.encode(), f"{at}:".encode() + body, hashlib.sha256).hexdigest()
    return {"Paddle-Signature": f"ts={at};h1={signature}", "Content-Type": "application/json"}


def chargebee_headers(credentials: str) -> dict[str, str]:
    """HTTP Basic with the user and password set on the webhook in Chargebee."""
    token = base64.b64encode(credentials.encode()).decode()
    return {"Authorization": f"Basic {token}", "Content-Type": "application/json"}


def recurly_headers(body: bytes, secret: str, *, at_ms: int | None = None) -> dict[str, str]:
    """`recurly-signature: <unix ms>,<hex HMAC-SHA256 of "ms.body">` (docs.recurly.com signature verification)."""
    at_ms = int(time.time() * 1000) if at_ms is None else at_ms
    signature = hmac.new(secret.encode(), f"{at_ms}.".encode() + body, hashlib.sha256).hexdigest()
    return {"recurly-signature": f"{at_ms},{signature}", "Content-Type": "application/json"}


def standard_headers(body: bytes, secret: str, *, at: int | None = None) -> dict[str, str]:
    """Standard Webhooks' `webhook-id`, `-timestamp`, `-signature`, signed by its own library."""
    from datetime import UTC, datetime

    at = int(time.time()) if at is None else at
    message_id = f"msg_{uuid.uuid4().hex}"
    signature = StandardWebhook(secret).sign(message_id, datetime.fromtimestamp(at, UTC), body.decode())
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(at),
        "webhook-signature": signature,
        "Content-Type": "application/cloudevents+json",
    }
