"""Reading what a person typed into the console's filter forms: plain text only, dates as YYYY-MM-DD in the
staff member's time zone; anything else is ignored rather than refused (a filter left out shows more)."""

import re
from datetime import datetime, time
from typing import Annotated
from urllib.parse import parse_qs, urlencode

from fastapi import Query, Request

from shared.i18n import zone
from shared.text import PLAIN_PATTERN

Text = Annotated[str | None, Query(pattern=PLAIN_PATTERN, max_length=200)]
MAX_FORM = 16_384  # a reason, a token, an address: nothing larger is posted


async def posted(request: Request) -> dict[str, str]:
    """A posted form (application/x-www-form-urlencoded) as text; too large or unreadable reads as empty."""
    body = await request.body()
    if len(body) > MAX_FORM:
        return {}
    values = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True, max_num_fields=20)
    return {key: items[-1] for key, items in values.items()}


def day(value: str | None, tz: str) -> datetime | None:
    """A date typed as YYYY-MM-DD, as the start of that day in the staff member's time zone."""
    if not value or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        date = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        return None
    if not 1970 <= date.year <= 9998:
        return None
    return datetime.combine(date, time(0), tzinfo=zone(tz))


def link(path: str, values: dict) -> str:
    """`path?query` with the values that are set."""
    query = urlencode({k: v for k, v in values.items() if v})
    return f"{path}?{query}" if query else path
