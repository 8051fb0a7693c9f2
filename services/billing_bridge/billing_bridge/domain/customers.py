"""The customer as the contract's event needs them (email, name, locale, time zone, segment, company), from what
a provider knows: pure rules, no I/O. Nothing here is stored or logged; it goes into the published event only.

- Segment: b2b when the customer has a company name or a tax id (the rule is configurable:
  `BILLING_B2B_WHEN` = company_or_tax_id, tax_id, company or never), b2c otherwise.
- Locale: the provider's preferred locale when it has one, else none (the orchestrator defaults to English).
- Time zone: the provider's own when it has one (Recurly); else the country's when all of its zones keep the same
  time (Germany: Europe/Berlin; not the United States); else none (UTC).
"""

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Literal
from zoneinfo import TZPATH, ZoneInfo

B2bRule = Literal["company_or_tax_id", "tax_id", "company", "never"]


@dataclass(frozen=True)
class CustomerFacts:
    email: str | None
    name: str | None = None
    company: str | None = None
    tax_id: str | None = None
    locale: str | None = None
    country: str | None = None
    timezone: str | None = None
    b2b_rule: B2bRule = "company_or_tax_id"

    @property
    def segment(self) -> str:
        has_company, has_tax_id = bool(self.company), bool(self.tax_id)
        b2b = {
            "company_or_tax_id": has_company or has_tax_id,
            "tax_id": has_tax_id,
            "company": has_company,
            "never": False,
        }[self.b2b_rule]
        return "b2b" if b2b else "b2c"

    def as_contract(self) -> dict:
        """`data.customer` of subscription.cancelled (the orchestrator validates and cleans it)."""
        return {
            "email": self.email,
            "name": self.name,
            "locale": self.locale,
            "timezone": self.timezone or zone_of_country(self.country),
            "segment": self.segment,
            "company": self.company,
        }


def full_name(*parts: object) -> str | None:
    """First and last name joined, or None when there is neither."""
    words = [p.strip() for p in parts if isinstance(p, str) and p.strip()]
    return " ".join(words) or None


def text(value: object) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def obj(value: object) -> dict:
    """A JSON object, or an empty one for anything else (a webhook may say anything)."""
    return value if isinstance(value, dict) else {}


def first(value: object) -> dict:
    """The first element of a JSON array when it is an object, else an empty one."""
    return obj(value[0]) if isinstance(value, list) and value else {}


def zone_of_country(country: str | None) -> str | None:
    """The IANA zone of a country (ISO 3166 alpha-2) whose zones all keep the same time, winter and summer: the
    first the system's zone.tab lists for it (the country's main one)."""
    if not country:
        return None
    zones = _zones_by_country().get(country.strip().upper(), ())
    return zones[0] if zones and len({_offsets(z) for z in zones}) == 1 else None


def _offsets(zone: str) -> tuple:
    moments = (datetime(2026, 1, 15, 12), datetime(2026, 7, 15, 12))
    return tuple(m.replace(tzinfo=ZoneInfo(zone)).utcoffset() for m in moments)


@cache
def _zones_by_country() -> dict[str, tuple[str, ...]]:
    for folder in TZPATH:
        table = Path(folder) / "zone.tab"
        if table.exists():
            zones: dict[str, list[str]] = {}
            for line in table.read_text().splitlines():
                if line and not line.startswith("#"):
                    country, _coordinates, zone, *_ = line.split("\t")
                    zones.setdefault(country, []).append(zone)
            return {country: tuple(names) for country, names in zones.items()}
    return {}
