"""Is this webhook really from the email provider? Each checked as its provider documents it, before anything
reads the body's meaning:

- Amazon SNS (SES notifications): the message's signature (SignatureVersion 1: SHA1, 2: SHA256, RSA PKCS#1
  v1.5) over the documented fields, with the certificate at SigningCertURL, fetched only from a URL matching
  NOTIFIER_SNS_CERT_URL_PATTERN (by default https on an sns.<region>.amazonaws.com host) and cached; the topic
  must be one of NOTIFIER_SES_TOPIC_ARNS.
- SendGrid: the signed event webhook (ECDSA P-256 over timestamp + body), with the `sendgrid` package's helper
  and the public key from SendGrid's settings; timestamps older than 5 minutes refused.
- Postmark: HTTP Basic credentials set on the webhook's URL, compared in constant time.
"""

import base64
import binascii
import hmac
import re
import time
from typing import Any

import httpx
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from sendgrid.helpers.eventwebhook import EventWebhook

SENDGRID_TOLERANCE_SECONDS = 300
SNS_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}


class NotVerified(Exception):
    """The webhook is not the provider's (400): the reason is safe to log and to answer."""


class SnsVerifier:
    def __init__(self, client: httpx.AsyncClient, *, url_pattern: str, topic_arns: set[str]) -> None:
        self._client, self._url, self._topics = client, re.compile(url_pattern), topic_arns
        self._certificates: dict[str, Any] = {}

    def allowed_url(self, url: object) -> bool:
        """An SNS URL we may call (the certificate, the subscription's confirmation)."""
        return isinstance(url, str) and self._url.match(url) is not None

    async def verify(self, message: Any) -> dict:
        if not isinstance(message, dict) or message.get("Type") not in SNS_FIELDS:
            raise NotVerified("not an SNS message")
        if message.get("TopicArn") not in self._topics:
            raise NotVerified("a topic this notifier does not subscribe to")
        version = message.get("SignatureVersion")
        digest = {"1": hashes.SHA1(), "2": hashes.SHA256()}.get(version)  # noqa: S303 (SNS's own version 1)
        if digest is None:
            raise NotVerified("an unknown signature version")
        text = "".join(
            f"{name}\n{message[name]}\n" for name in SNS_FIELDS[message["Type"]] if isinstance(message.get(name), str)
        )
        try:
            signature = base64.b64decode(message.get("Signature") or "", validate=True)
        except (binascii.Error, ValueError):
            raise NotVerified("a signature that is not base64") from None
        key = await self._public_key(message.get("SigningCertURL"))
        try:
            key.verify(signature, text.encode(), padding.PKCS1v15(), digest)
        except InvalidSignature:
            raise NotVerified("a bad signature") from None
        return message

    async def _public_key(self, url: object):
        if not self.allowed_url(url):
            raise NotVerified("a certificate URL outside the allowed SNS hosts")
        if url not in self._certificates:
            try:
                answer = await self._client.get(url)
                answer.raise_for_status()
                certificate = x509.load_pem_x509_certificate(answer.content)
            except (httpx.HTTPError, ValueError) as exc:
                raise SnsUnavailable(f"the signing certificate could not be read: {type(exc).__name__}") from None
            if len(self._certificates) > 32:
                self._certificates.clear()
            self._certificates[url] = certificate.public_key()
        return self._certificates[url]


class SnsUnavailable(Exception):
    """The certificate could not be fetched now (503: SNS retries)."""


def verify_sendgrid(body: bytes, headers: Any, *, public_key: str, now: float | None = None) -> str:
    signature = headers.get("x-twilio-email-event-webhook-signature")
    stamp = headers.get("x-twilio-email-event-webhook-timestamp")
    if not signature or not stamp or not stamp.isdigit():
        raise NotVerified("no SendGrid signature")
    if abs((now or time.time()) - int(stamp)) > SENDGRID_TOLERANCE_SECONDS:
        raise NotVerified("a timestamp outside the tolerance")
    try:
        payload = body.decode("utf-8")
        verified = EventWebhook(public_key).verify_signature(payload, signature, stamp)
    except (UnicodeDecodeError, binascii.Error, ValueError):
        raise NotVerified("an unreadable signature or body") from None
    if not verified:
        raise NotVerified("a bad signature")
    return payload


def verify_basic(headers: Any, *, credentials: list[str]) -> None:
    given = headers.get("authorization") or ""
    scheme, _, token = given.partition(" ")
    try:
        decoded = base64.b64decode(token, validate=True).decode("utf-8") if scheme.lower() == "basic" else ""
    except (binascii.Error, ValueError, UnicodeDecodeError):
        decoded = ""
    matches = [hmac.compare_digest(decoded.encode(), c.encode()) for c in credentials]  # every one compared
    if not decoded or not any(matches):
        raise NotVerified("bad credentials")
