"""Dates in query strings (insights, experiments): ISO 8601 only, read as UTC, clamped to the years the data
can hold."""

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from pydantic import BeforeValidator

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 1, 1, tzinfo=UTC)


def _iso_only(value: object) -> object:
    """A date or time written as ISO 8601 (pydantic alone would also read a number as a Unix time)."""
    if isinstance(value, str) and not ISO_START.match(value):
        raise ValueError("use an ISO 8601 date (2026-11-24) or date and time (2026-11-24T10:00:00Z)")
    return value


ISO_START = re.compile(r"^\d{4}-\d{2}-\d{2}")
QueryMoment = Annotated[date | datetime, BeforeValidator(_iso_only)]


def window(
    from_: date | datetime | None, to: date | datetime | None, *, default_span: timedelta | None
) -> tuple[datetime, datetime]:
    """The [start, end) that a query's `from` and `to` mean: `to` defaults to now, `from` to `default_span`
    before `to` (None: all along). Bounds outside the years the data can hold are clamped to them. Raises
    ValueError for an empty window."""
    end = clamped(moment(to, end=True)) if to else datetime.now(UTC)
    start = clamped(moment(from_) if from_ else (end - default_span if default_span else EARLIEST))
    if start >= end:
        raise ValueError("`from` must be before `to`")
    return start, end


def clamped(at: datetime) -> datetime:
    return min(max(at, EARLIEST), LATEST)


def moment(value: date | datetime, *, end: bool = False) -> datetime:
    """A query date or time as a UTC moment (`end`: a date means the end of that day)."""
    if isinstance(value, datetime):
        at = value if value.tzinfo else value.replace(tzinfo=UTC)
    else:
        at = datetime.combine(value, time(0), tzinfo=UTC)
        if end and at < LATEST:
            at += timedelta(days=1)
    try:
        return at.astimezone(UTC)
    except OverflowError:  # a year-1 or year-9999 moment with an offset
        return EARLIEST - timedelta(days=1) if at.year < 1970 else LATEST + timedelta(days=1)
