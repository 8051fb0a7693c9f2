"""The console's words (words_en.py, words_de.py), and dates and numbers as each language writes them."""

from datetime import datetime

from orchestrator.console import words_de, words_en
from shared.i18n import zone

NONE = "\u2013"  # an en dash: what a page shows for a missing value

LANGUAGES = {"en": "English", "de": "Deutsch"}

TEXTS: dict[str, dict[str, str]] = {"en": words_en.WORDS, "de": words_de.WORDS}

MONTHS = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "de": ["Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sep.", "Okt.", "Nov.", "Dez."],
}


def language(tag: str | None) -> str:
    """`de-AT` -> `de`; English for anything else."""
    return "de" if (tag or "").lower().startswith("de") else "en"


def text(lang: str, key: str, **values: object) -> str:
    template = TEXTS[lang].get(key) or TEXTS["en"].get(key, key)
    return template.format(**values) if values else template


def moment(value: datetime | str | None, tz: str | None, lang: str) -> str:
    """A moment in a time zone, as the language writes it: 26 Nov 2026, 16:40 CET / 26.11.2026, 16:40 CET.
    Takes the ISO 8601 text the other services' APIs answer with, too."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    if value is None:
        return NONE
    local = value.astimezone(zone(tz))
    if lang == "de":
        return f"{local:%d.%m.%Y, %H:%M} {local.tzname()}"
    return f"{local.day} {MONTHS['en'][local.month - 1]} {local.year}, {local:%H:%M} {local.tzname()}"


def month(value: str, lang: str) -> str:
    """`2026-11` -> `Nov 2026` / `Nov. 2026`."""
    year, number = value.split("-")
    return f"{MONTHS[lang][int(number) - 1]} {year}"


def number(value: float | int | None, lang: str, *, digits: int = 0) -> str:
    """1234.5 -> 1,234.5 / 1.234,5."""
    if value is None:
        return NONE
    written = f"{value:,.{digits}f}"
    return written.replace(",", "\0").replace(".", ",").replace("\0", ".") if lang == "de" else written


def percent(value: float | None, lang: str) -> str:
    """0.125 -> 12.5 % (a no-break space: a narrow table cell never breaks the sign off its number)."""
    return NONE if value is None else f"{number(100 * value, lang, digits=1)}\u00a0%"
