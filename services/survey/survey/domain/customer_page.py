"""What the leaving customer's own page says, from the journey as the orchestrator last told it and the moment
it is opened: which state it is in, which dates lie ahead ("in 12 days", in the customer's time zone), and what
it offers (the help form, the exit survey, the way back). No I/O.

States, first that holds:
- `expired`: past the page's validity (the journey's retention is over): a short page, nothing else;
- `erased`: the personal data is deleted: the dates and what happened, nothing personal, no forms;
- `reactivated`: the customer came back: welcome back;
- `paused`: support paused the journey (they are looking into it): the dates stand, messages wait;
- `access_ended`: the access has ended; the data is still there until its deletion date;
- `active`: the access ends ahead.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from shared.i18n import zone

State = Literal["expired", "erased", "reactivated", "paused", "access_ended", "active"]

HELP_TOPICS = ("data_export", "billing", "access", "come_back", "other")
REACH_BY = ("email", "phone")
HELP_MESSAGE_LIMIT = 2000
PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{5,24}$")
TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")  # the orchestrator's token_urlsafe(16) is 22 characters


@dataclass(frozen=True)
class Journey:
    """What the page knows of the journey (a customer_pages row)."""

    status: str
    segment: str
    initiated_by: str
    timezone: str
    cancelled_at: datetime
    effective_at: datetime
    deletion_at: datetime | None
    reactivated_at: datetime | None
    erased_at: datetime | None
    valid_until: datetime


@dataclass(frozen=True)
class Outlook:
    state: State
    today: date  # in the customer's time zone
    access_days: int  # days from today to the end of access (negative: ended that many days ago)
    deletion_days: int | None
    offers_help: bool  # the help form (not once the data is erased: a new message would outlive its erasure)
    offers_way_back: bool


def outlook(journey: Journey, now: datetime) -> Outlook:
    local = zone(journey.timezone)
    today = now.astimezone(local).date()
    access_days = (journey.effective_at.astimezone(local).date() - today).days
    deletion_days = (journey.deletion_at.astimezone(local).date() - today).days if journey.deletion_at else None
    state = _state(journey, now)
    return Outlook(
        state=state,
        today=today,
        access_days=access_days,
        deletion_days=deletion_days,
        offers_help=state in ("active", "paused", "access_ended", "reactivated"),
        offers_way_back=state in ("active", "paused", "access_ended"),
    )


def _state(journey: Journey, now: datetime) -> State:
    if now >= journey.valid_until:
        return "expired"
    if journey.erased_at is not None:
        return "erased"
    if journey.reactivated_at is not None:
        return "reactivated"
    if journey.status == "paused":
        return "paused"
    if journey.effective_at <= now:
        return "access_ended"
    return "active"


def valid_until(effective_at: datetime, deletion_at: datetime | None, kept_after_end: timedelta) -> datetime:
    """The page works until this long after the last of its dates (the end of access, the deletion)."""
    return max(effective_at, deletion_at or effective_at) + kept_after_end


class HelpRequestInvalid(ValueError):
    def __init__(self, fields: list[str]) -> None:
        super().__init__(", ".join(fields))
        self.fields = fields


@dataclass(frozen=True)
class HelpRequest:
    topic: str
    message: str | None
    reach_by: str
    phone: str | None


def help_request(form: dict[str, str]) -> HelpRequest:
    """The "I need help" form, checked: a known topic, at most HELP_MESSAGE_LIMIT characters of text (control
    characters but line breaks and tabs removed), a phone number when that is how to reach the customer."""
    bad = []
    topic = form.get("topic", "")
    if topic not in HELP_TOPICS:
        bad.append("topic")
    message = _clean_text(form.get("message", ""))
    if len(message) > HELP_MESSAGE_LIMIT:
        bad.append("message")
    reach_by = form.get("reach_by", "email")
    if reach_by not in REACH_BY:
        bad.append("reach_by")
    phone = " ".join(form.get("phone", "").split())
    if reach_by == "phone" and not PHONE.match(phone):
        bad.append("phone")
    if bad:
        raise HelpRequestInvalid(bad)
    return HelpRequest(topic, message or None, reach_by, phone if reach_by == "phone" else None)


def marketing_choice(form: dict[str, str]) -> bool | None:
    """The contact preference form: offers by email after leaving, "yes" or "no"; None for anything else."""
    return {"yes": True, "no": False}.get(form.get("marketing", ""))


def _clean_text(text: str) -> str:
    kept = "".join(c for c in text.replace("\r\n", "\n") if c in "\n\t" or (c.isprintable() and c != "\x00"))
    return kept.strip()
