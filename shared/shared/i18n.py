"""The customer's time zone and locale: which values are known, and the one way to turn a name into a zone.

Billing systems send what their users typed; a zone name is looked up in the IANA database that ships with
Python (`tzdata`), never used as a file path, and a locale must look like a BCP 47 tag. Unknown values fall
back to UTC and English (the intake notes that it did so).
"""

import re
import zoneinfo
from datetime import datetime
from functools import lru_cache

DEFAULT_TIMEZONE = "UTC"
DEFAULT_LOCALE = "en"
LOCALE_TAG = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,3}$")


@lru_cache(maxsize=1)
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def known_timezone(name: object) -> bool:
    return isinstance(name, str) and name in _known_zones()


@lru_cache(maxsize=1024)
def zone(name: str | None) -> zoneinfo.ZoneInfo:
    """The zone called `name`; UTC when it is not a known IANA name (never an exception)."""
    return zoneinfo.ZoneInfo(name if known_timezone(name) else DEFAULT_TIMEZONE)


def known_locale(tag: object) -> bool:
    return isinstance(tag, str) and LOCALE_TAG.match(tag) is not None


def normal_locale(tag: str) -> str:
    """`de_DE` -> `de-DE`: the form the services compare."""
    return tag.replace("_", "-")


MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "de": [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
}


def format_date(moment: datetime, timezone: str | None, locale: str) -> str:
    """A date as the customer reads it, in their time zone: 24 December 2026 / 24. Dezember 2026."""
    local = moment.astimezone(zone(timezone))
    month = MONTHS.get(locale, MONTHS["en"])[local.month - 1]
    return f"{local.day}. {month} {local.year}" if locale == "de" else f"{local.day} {month} {local.year}"


def format_time(moment: datetime, timezone: str | None) -> str:
    local = moment.astimezone(zone(timezone))
    return f"{local:%H:%M} ({local.tzname()})"
