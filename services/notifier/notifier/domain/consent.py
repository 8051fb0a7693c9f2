"""Whether a message goes out now, later, or not at all: consent, suppression, the marketing cap, quiet hours.

Transactional messages (confirmation, access ended, deletion notice...) always go. Marketing messages need
the customer's consent, an address not unsubscribed, no other marketing message within the cap period, and
outside quiet hours in the customer's time zone they are deferred, not dropped.
"""

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Literal

from shared.i18n import zone


@dataclass(frozen=True)
class Send:
    pass


@dataclass(frozen=True)
class Skip:
    reason: str


@dataclass(frozen=True)
class Defer:
    until: datetime
    reason: str


Decision = Send | Skip | Defer


@dataclass(frozen=True)
class Protection:
    quiet_start: time = time(21, 0)
    quiet_end: time = time(8, 0)
    marketing_cap: timedelta = timedelta(days=7)


def decide(
    *,
    category: Literal["transactional", "marketing"],
    consent: bool,
    suppressed: bool,
    last_marketing_at: datetime | None,
    now: datetime,
    timezone: str | None,
    protection: Protection,
) -> Decision:
    if category == "transactional":
        return Send()
    if not consent:
        return Skip("no marketing consent")
    if suppressed:
        return Skip("the address unsubscribed from marketing messages")
    if last_marketing_at is not None and now - last_marketing_at < protection.marketing_cap:
        return Skip(f"another marketing message went to this customer within {protection.marketing_cap.days} days")
    local = now.astimezone(zone(timezone))
    if _quiet(local.time(), protection):
        return Defer(_quiet_end_after(local, protection), "quiet hours in the customer's time zone")
    return Send()


def _quiet(moment: time, p: Protection) -> bool:
    if p.quiet_start <= p.quiet_end:
        return p.quiet_start <= moment < p.quiet_end
    return moment >= p.quiet_start or moment < p.quiet_end  # the quiet hours span midnight


def _quiet_end_after(local: datetime, p: Protection) -> datetime:
    end = local.replace(hour=p.quiet_end.hour, minute=p.quiet_end.minute, second=0, microsecond=0)
    if end <= local:
        end += timedelta(days=1)
    # Re-attach the zone so a daylight-saving change overnight lands on the right wall-clock time.
    return end.replace(tzinfo=None).replace(tzinfo=local.tzinfo)
