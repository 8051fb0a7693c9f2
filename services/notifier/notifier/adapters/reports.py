"""Reading a report mailed back to a return path: an RFC 3464 delivery status notification (a bounce) or an
RFC 5965 feedback report (a complaint from a mailbox provider's feedback loop).

Bounces are classified by `flufl.bounce` (Mailman's detectors: it knows the odd formats real mail servers
send besides the standard one); the standard `message/delivery-status` part, when there, gives the status code.
Complaints are read with the standard library (`message/feedback-report`). Either way the report also names
the original message when it quotes it (its Message-ID and return path), so a report sent to a shared address
rather than the per-message return path still finds its delivery. Nothing here keeps or logs an address."""

import email
import email.policy
import re
from dataclasses import dataclass
from datetime import datetime
from email.message import Message
from email.utils import parsedate_to_datetime

from flufl.bounce import all_failures

from notifier.domain.feedback import Feedback, Kind

NOT_COMPLAINTS = {"not-spam"}  # RFC 6430: a report that a message is NOT spam
# An RFC 3463 status code at the start of a Status field; servers add their own words after it ("5.0.0
# (recipient reached disk quota)") or put an SMTP reply there instead ("553 Exceeded maximum ..."): the code only.
STATUS_CODE = re.compile(r"\s*([245]\.\d{1,3}\.\d{1,3})(?!\d)")


@dataclass(frozen=True)
class MailedReport:
    feedback: Feedback
    message_ids: tuple[str, ...]  # of the original message, when the report quotes it
    return_paths: tuple[str, ...]  # the original's Return-Path, when quoted


def read_report(raw: bytes, *, received_at: datetime) -> MailedReport | None:
    """The feedback in a mailed report, or None when it is none we can read (an auto-reply, a success notice,
    spam): such mail is accepted and counted, never answered (no backscatter)."""
    try:
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
        feedback = _complaint(message, received_at) or _bounce(message, received_at)
    except Exception:  # a malformed MIME tree: unreadable, not an error of ours
        return None
    if feedback is None:
        return None
    ids, paths = _original(message)
    return MailedReport(feedback, ids, paths)


def _complaint(message: Message, received_at: datetime) -> Feedback | None:
    for part in message.walk():
        if part.get_content_type() != "message/feedback-report":
            continue
        fields = _fields(part)
        kind = (fields.get("feedback-type") or "abuse").strip().lower()
        if kind in NOT_COMPLAINTS:
            return None
        return Feedback("complaint", kind[:40], _date(fields.get("arrival-date")) or received_at, "arf_report")
    return None


def _bounce(message: Message, received_at: datetime) -> Feedback | None:
    status = _delivery_status(message)
    temporary, permanent = all_failures(message)
    kind: Kind | None = "hard" if permanent else "soft" if temporary else None
    if kind is None and status is not None:  # a standard DSN flufl.bounce did not take: its Action decides
        action = status.get("action", "").strip().lower()
        kind = "hard" if action == "failed" else "soft" if action == "delayed" else None
    if kind is None:
        return None
    written = STATUS_CODE.match((status or {}).get("status", ""))
    code = written.group(1) if written else "5.0.0" if kind == "hard" else "4.0.0"
    occurred = _date((status or {}).get("arrival-date")) or _date(message.get("date")) or received_at
    return Feedback(kind, code, occurred, "smtp_report")


def _delivery_status(message: Message) -> dict[str, str] | None:
    """The first recipient's fields of a `message/delivery-status` part (with the message's own fields)."""
    for part in message.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        if not isinstance(blocks, list):
            return None
        merged: dict[str, str] = {}
        for block in blocks:
            if isinstance(block, Message):
                merged |= {k.lower(): str(v) for k, v in block.items()}
                if "status" in merged or "action" in merged:
                    break
        return merged
    return None


def _fields(part: Message) -> dict[str, str]:
    """A report part's fields: parsed into blocks by the email package, or plain text."""
    payload = part.get_payload()
    if isinstance(payload, list):
        return {k.lower(): str(v) for block in payload if isinstance(block, Message) for k, v in block.items()}
    text = part.get_payload(decode=True) or b""
    return {k.lower(): str(v) for k, v in email.message_from_bytes(text).items()}


def _original(message: Message) -> tuple[tuple[str, ...], tuple[str, ...]]:
    ids, paths = [], []
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/rfc822":
            quoted = part.get_payload()
            headers = quoted[0] if isinstance(quoted, list) and quoted else None
        elif kind == "text/rfc822-headers":
            headers = email.message_from_bytes(part.get_payload(decode=True) or b"")
        else:
            continue
        if isinstance(headers, Message):
            ids += [v.strip() for v in headers.get_all("message-id", [])]
            paths += [v.strip().strip("<>") for v in headers.get_all("return-path", [])]
    return tuple(i[:200] for i in ids if i), tuple(p[:200] for p in paths if p)


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value.split(";")[-1].strip())
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo else None
