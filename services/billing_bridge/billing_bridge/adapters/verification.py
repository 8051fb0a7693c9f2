"""Each provider's webhook verified the way its own documentation and SDK do it, over the raw body, before
anything parses it; several secrets at once (rotation: the old and the new one both pass for a while).

- Stripe: `stripe.Webhook.construct_event` (`Stripe-Signature`: `t=`, `v1=`), 300 s tolerance.
- Paddle: `paddle_billing.Notifications.Verifier` (`Paddle-Signature`: `ts=`, `h1=`), its 5 s tolerance unless
  configured otherwise.
- Chargebee: HTTP Basic credentials (Chargebee's own scheme), compared in constant time.
- Recurly: `recurly-signature` (a timestamp in milliseconds, then one or more signatures): HMAC-SHA256 of
  `<timestamp>.<body>`, hex, as Recurly documents it (its Python SDK has no verifier); 300 s tolerance.
- Standard Webhooks (`/v1/events`): the `standardwebhooks` library (`webhook-id`, `-timestamp`, `-signature`).

A failure raises Refused with a reason code (never the body, the header or a secret).
"""

import base64
import binascii
import hashlib
import hmac
import json
import time
from typing import Any

import stripe
from paddle_billing.Notifications import Secret, Verifier
from standardwebhooks import Webhook as StandardWebhook


class Refused(Exception):
    """The call is not the provider's (or not readable): 400, nothing published. `reason` is a code (a metric's
    label); `detail` says more where it quotes nothing of the body's values."""

    def __init__(self, reason: str, detail: str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.detail = reason, detail


def stripe_event(body: bytes, headers, secrets: list[str], tolerance: int = 300) -> dict[str, Any]:
    header = headers.get("stripe-signature")
    if not header:
        raise Refused("missing_signature")
    stale = False
    for secret in secrets:
        try:
            stripe.Webhook.construct_event(body, header, secret, tolerance=tolerance)
        except stripe.SignatureVerificationError as error:
            # Stripe checks the timestamp only once a signature matched: a stale one is Stripe's, only late.
            stale = stale or "tolerance" in str(error).lower()
            continue
        except ValueError:
            raise Refused("unreadable_body") from None
        return _json(body)
    raise Refused("stale_timestamp" if stale else "bad_signature")


class _PaddleRequest:
    """What Paddle's Verifier reads of a request: its headers and its raw body."""

    def __init__(self, headers, body: bytes) -> None:
        self.headers, self.body = headers, body


def paddle_event(body: bytes, headers, secrets: list[str], tolerance: int = 5) -> dict[str, Any]:
    header = headers.get("paddle-signature")
    if not header:
        raise Refused("missing_signature")
    try:
        timestamp = int(dict(p.split("=", 1) for p in header.split(";") if "=" in p).get("ts", ""))
    except ValueError:
        raise Refused("bad_signature") from None
    if abs(time.time() - timestamp) > tolerance:
        raise Refused("stale_timestamp")
    try:
        body.decode("utf-8")
        verified = Verifier(maximum_variance=tolerance).verify(
            _PaddleRequest(headers, body), [Secret(s) for s in secrets]
        )
    except (ValueError, UnicodeDecodeError):
        raise Refused("bad_signature") from None
    if not verified:
        raise Refused("bad_signature")
    return _json(body)


def chargebee_event(body: bytes, headers, credentials: list[str]) -> dict[str, Any]:
    header = headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise Refused("missing_signature")
    try:
        given = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise Refused("bad_signature") from None
    # Every pair is compared, whichever matches: the time taken says nothing about which one did.
    matches = [hmac.compare_digest(given, pair.encode()) for pair in credentials]
    if not any(matches):
        raise Refused("bad_signature")
    return _json(body)


def recurly_event(body: bytes, headers, secrets: list[str], tolerance: int = 300) -> dict[str, Any]:
    header = headers.get("recurly-signature")
    if not header:
        raise Refused("missing_signature")
    timestamp, *signatures = header.split(",")
    if not timestamp.isdigit() or not signatures:
        raise Refused("bad_signature")
    if abs(time.time() - int(timestamp) / 1000) > tolerance:
        raise Refused("stale_timestamp")
    message = timestamp.encode() + b"." + body
    for secret in secrets:
        expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
        if any(hmac.compare_digest(expected, s.strip()) for s in signatures):
            return _json(body)
    raise Refused("bad_signature")


def standard_event(body: bytes, headers, secrets: list[str]) -> dict[str, Any]:
    wanted = {name: headers.get(name) for name in ("webhook-id", "webhook-timestamp", "webhook-signature")}
    if not all(wanted.values()):
        raise Refused("missing_signature")
    stale = False
    for secret in secrets:
        try:
            StandardWebhook(secret).verify(body, wanted, json_parse=False)
        except Exception as error:  # the library raises its own errors, and others for a malformed header
            stale = stale or "timestamp too" in str(error)
            continue
        return _json(body)
    raise Refused("stale_timestamp" if stale else "bad_signature")


def _json(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValueError):
        raise Refused("unreadable_body") from None
    if not isinstance(document, dict):
        raise Refused("unreadable_body")
    return document
