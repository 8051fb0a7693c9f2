"""The email providers' webhook events as feedback (pure): Amazon SES (its notifications inside SNS messages),
SendGrid's event webhook, Postmark's bounce and spam-complaint webhooks. Each event names what it is about as
best its provider can: the return path (SES keeps the envelope sender), our Message-ID (SES, SendGrid), or only
the address (Postmark); the desk looks them up in that order. Events that say nothing about the address
(deliveries, opens, clicks) are no feedback."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from notifier.domain.feedback import Feedback, Kind


@dataclass(frozen=True)
class ProviderFeedback:
    feedback: Feedback
    return_path: str | None = None
    message_id: str | None = None
    email: str | None = None  # personal data: only hashed, to find the latest delivery to it


def _text(value: object, limit: int = 200) -> str | None:
    return value.strip()[:limit] or None if isinstance(value, str) else None


def _when(value: object, default: datetime) -> datetime:
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < 10**11:
        return datetime.fromtimestamp(value, UTC)
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return default
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return default


def ses(notification: Any, *, received_at: datetime) -> list[ProviderFeedback]:
    """An SES notification (the SNS message's `Message`, parsed): Bounce or Complaint, one per recipient."""
    if not isinstance(notification, dict):
        return []
    kind_of = notification.get("notificationType") or notification.get("eventType")
    mail = notification.get("mail") if isinstance(notification.get("mail"), dict) else {}
    headers = mail.get("commonHeaders") if isinstance(mail.get("commonHeaders"), dict) else {}
    about = {"return_path": _text(mail.get("source")), "message_id": _text(headers.get("messageId"))}
    if kind_of == "Bounce" and isinstance(notification.get("bounce"), dict):
        bounce = notification["bounce"]
        kind: Kind = "hard" if bounce.get("bounceType") == "Permanent" else "soft"
        at = _when(bounce.get("timestamp"), received_at)
        recipients = [r for r in bounce.get("bouncedRecipients") or [] if isinstance(r, dict)]
        return [
            ProviderFeedback(
                Feedback(kind, _text(r.get("status"), 16) or _text(bounce.get("bounceSubType"), 40) or kind, at, "ses"),
                email=_text(r.get("emailAddress"), 320),
                **about,
            )
            for r in recipients[:50]
        ]
    if kind_of == "Complaint" and isinstance(notification.get("complaint"), dict):
        complaint = notification["complaint"]
        at = _when(complaint.get("timestamp"), received_at)
        code = _text(complaint.get("complaintFeedbackType"), 40) or "abuse"
        recipients = [r for r in complaint.get("complainedRecipients") or [] if isinstance(r, dict)]
        return [
            ProviderFeedback(Feedback("complaint", code, at, "ses"), email=_text(r.get("emailAddress"), 320), **about)
            for r in recipients[:50]
        ]
    return []


SENDGRID_KINDS: dict[tuple[str, str | None], Kind] = {
    ("bounce", "bounce"): "hard",
    ("bounce", None): "hard",
    ("bounce", "blocked"): "soft",  # blocked: the receiver refused for now (reputation, content), not the address
    ("deferred", None): "soft",
    ("spamreport", None): "complaint",
}


def sendgrid(events: Any, *, received_at: datetime) -> list[ProviderFeedback]:
    """SendGrid's event webhook body: a JSON array of events."""
    found = []
    for event in events[:1000] if isinstance(events, list) else []:
        if not isinstance(event, dict) or not isinstance(event.get("event"), str):
            continue
        sort = _text(event.get("type"), 20) if event.get("event") == "bounce" else None
        kind = SENDGRID_KINDS.get((event["event"], sort))
        if kind is None:
            continue
        code = _text(event.get("status"), 16) or ("abuse" if kind == "complaint" else event["event"])
        found.append(
            ProviderFeedback(
                Feedback(kind, code, _when(event.get("timestamp"), received_at), "sendgrid"),
                message_id=_text(event.get("smtp-id")),
                email=_text(event.get("email"), 320),
            )
        )
    return found


POSTMARK_BOUNCES: dict[str, Kind] = {
    "HardBounce": "hard",
    "BadEmailAddress": "hard",
    "ManuallyDeactivated": "hard",
    "SoftBounce": "soft",
    "Transient": "soft",
    "DnsError": "soft",
    "SpamNotification": "complaint",
    "SpamComplaint": "complaint",
}


def postmark(record: Any, *, received_at: datetime) -> list[ProviderFeedback]:
    """Postmark's bounce or spam-complaint webhook: one record."""
    if not isinstance(record, dict) or record.get("RecordType") not in ("Bounce", "SpamComplaint"):
        return []
    sort = record.get("Type") if isinstance(record.get("Type"), str) else record["RecordType"]
    kind = POSTMARK_BOUNCES.get(sort)
    if kind is None:
        return []
    at = _when(record.get("BouncedAt"), received_at)
    code = str(record.get("TypeCode"))[:16] if isinstance(record.get("TypeCode"), int) else sort[:40]
    return [ProviderFeedback(Feedback(kind, code, at, "postmark"), email=_text(record.get("Email"), 320))]
