"""What came back about an email that went out, and what it means for the address (pure rules).

Three sources end here: a report mailed to the return path (an RFC 3464 delivery status notification, or an
RFC 5965 feedback-loop complaint), a provider's webhook, and the mail server's answer at send time. Each is one
`Feedback`: hard (the address does not exist or refuses us for good), soft (full mailbox, greylisting, a
server down: retried) or complaint (the recipient marked it as spam).

A hard bounce or a complaint suppresses the address for every message (scope `all`); an unsubscribe only for
marketing (scope `marketing`). A soft bounce suppresses nothing, until the address has kept bouncing softly
for longer than the soft-bounce window (72 h by default): then it counts as hard. Meanwhile a message the server
refused for now at send time is asked again later, each pause as long as the address has bounced already
(15 minutes at first, at most 12 hours): a backoff that doubles until the window ends."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

Kind = Literal["hard", "soft", "complaint"]
Source = Literal["smtp_report", "arf_report", "smtp_answer", "ses", "sendgrid", "postmark"]
Scope = Literal["marketing", "all"]
UNREACHABLE = "address_unreachable"  # the reason of a step skipped because its address is suppressed
STATUS_BY_KIND = {"hard": "bounced", "complaint": "complained"}
SOFT_RETRY_FIRST = timedelta(minutes=15)
SOFT_RETRY_LONGEST = timedelta(hours=12)


@dataclass(frozen=True)
class Feedback:
    kind: Kind
    reason_code: str  # an enhanced status code (5.1.1), the SMTP reply code, or the complaint's feedback type
    occurred_at: datetime
    source: Source


def from_smtp_answer(code: int, enhanced: str | None, at: datetime) -> Feedback | None:
    """The mail server refused the recipient at send time: 5xx hard, 4xx soft; anything else is not about the
    address."""
    if 500 <= code < 600:
        return Feedback("hard", enhanced or str(code), at, "smtp_answer")
    if 400 <= code < 500:
        return Feedback("soft", enhanced or str(code), at, "smtp_answer")
    return None


def effective_kind(feedback: Feedback, *, softly_bouncing_since: datetime | None, window: timedelta) -> Kind:
    """A soft bounce of an address that has bounced softly for longer than `window` counts as hard."""
    if feedback.kind != "soft" or softly_bouncing_since is None:
        return feedback.kind
    return "hard" if feedback.occurred_at - softly_bouncing_since >= window else "soft"


def suppression_scope(kind: Kind) -> Scope | None:
    """What a kind of feedback suppresses: everything for hard bounces and complaints, nothing for soft ones."""
    return "all" if kind in ("hard", "complaint") else None


def soft_retry_at(softly_bouncing_since: datetime, now: datetime, window: timedelta) -> datetime | None:
    """When to send again to an address the server refused for now: after as long as it has bounced softly
    already (at least SOFT_RETRY_FIRST, at most SOFT_RETRY_LONGEST); None once the window is over (the refusal
    then counts as hard)."""
    bouncing = now - softly_bouncing_since
    if bouncing >= window:
        return None
    return now + min(max(bouncing, SOFT_RETRY_FIRST), SOFT_RETRY_LONGEST)
