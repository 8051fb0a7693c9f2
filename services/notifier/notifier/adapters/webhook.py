"""The webhook channel: a JSON POST signed with HMAC-SHA256, for CRMs, helpdesks and chat tools.

Receivers verify `X-Signature: sha256=<hex of HMAC-SHA256(secret, raw body)>`. `X-Delivery-Id` is stable
across retries of one command, so receivers can deduplicate. 5xx answers and timeouts are retried a few
times with backoff; 4xx answers are not (the request itself is wrong).
"""

import asyncio
import hashlib
import hmac
import json
from typing import Any

import httpx

from notifier.adapters.email import SendFailed


def sign(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


class WebhookChannel:
    def __init__(
        self,
        *,
        secret: bytes,
        timeout: float,
        attempts: int,
        client: httpx.AsyncClient | None = None,
        backoff: float = 0.5,
    ) -> None:
        self._secret, self._timeout, self._attempts, self._backoff = secret, timeout, attempts, backoff
        self._client = client or httpx.AsyncClient(timeout=timeout)

    async def send(self, url: str, payload: dict[str, Any], delivery_id: str) -> str:
        """POST the payload; returns the receiver's id for it (or the delivery id). Raises SendFailed."""
        body = json.dumps(payload, separators=(",", ":"), sort_keys=True, default=str).encode()
        headers = {
            "Content-Type": "application/json",
            "X-Signature": sign(self._secret, body),
            "X-Delivery-Id": delivery_id,
            "User-Agent": "offboarding-notifier",
        }
        last = "no attempt"
        for attempt in range(1, self._attempts + 1):
            try:
                response = await self._client.post(url, content=body, headers=headers)
            except httpx.TimeoutException:
                last = "the webhook timed out"
            except httpx.TransportError as exc:
                last = f"the webhook is unreachable: {type(exc).__name__}"
            else:
                if response.status_code < 300:
                    return response.headers.get("x-request-id") or delivery_id
                if response.status_code < 500:
                    raise SendFailed(f"the webhook answered {response.status_code}", retryable=False)
                last = f"the webhook answered {response.status_code}"
            if attempt < self._attempts:
                await asyncio.sleep(self._backoff * 2 ** (attempt - 1))
        raise SendFailed(last, retryable=True)

    async def close(self) -> None:
        await self._client.aclose()
