"""Message templates: Jinja2, one file per message and locale, rendered to a subject, a plain-text part and
an HTML part.

A file holds `{% block subject %}` and `{% block body %}`. The body is plain text: paragraphs separated by
blank lines, links written `[label]({{ url }})`. The text part is the body with links spelled out; the
HTML part is built from the same paragraphs by an autoescaping layout, so no value can inject markup.
Undefined variables are errors (StrictUndefined): a message is never sent half-rendered. The first line of
each file tags it: `{# category: transactional #}` or `{# category: marketing #}`.
"""

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound

from shared.i18n import zone

CATEGORY = re.compile(r"^\{#\s*category:\s*(transactional|marketing)\s*#\}")
LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
DEFAULT_LOCALE = "en"
LANGUAGE = re.compile(r"^[a-z]{2,3}$")
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
UNSUBSCRIBE = {
    "en": "You get offers like this because you agreed to hear from us. Unsubscribe with one click",
    "de": "Sie erhalten solche Angebote, weil Sie zugestimmt haben. Mit einem Klick abmelden",
}


class RenderError(Exception):
    """The message cannot be rendered (no template, an undefined variable): the step fails with this reason."""


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    category: str
    locale: str


def format_date(moment: datetime, timezone: str | None, locale: str) -> str:
    """A date as the customer reads it, in their time zone: 24 December 2026 / 24. Dezember 2026."""
    local = moment.astimezone(zone(timezone))
    month = MONTHS.get(locale, MONTHS["en"])[local.month - 1]
    return f"{local.day}. {month} {local.year}" if locale == "de" else f"{local.day} {month} {local.year}"


def format_time(moment: datetime, timezone: str | None) -> str:
    local = moment.astimezone(zone(timezone))
    return f"{local:%H:%M} ({local.tzname()})"


def base_locale(locale: str | None) -> str:
    """The language of a locale tag (`de-AT` -> `de`); English for anything that is not a language code."""
    language = (locale or DEFAULT_LOCALE).replace("_", "-").split("-")[0].lower()
    return language if LANGUAGE.match(language) else DEFAULT_LOCALE


class Renderer:
    def __init__(self, folder: Path) -> None:
        self._folder = folder / "email"
        loader = FileSystemLoader(self._folder)
        # The body is plain text (the HTML part is built by the autoescaping layout below). Values are
        # neutralised so that data (a customer's name) can never form a link or a new paragraph.
        self._text = Environment(
            loader=loader,
            undefined=StrictUndefined,
            autoescape=False,  # noqa: S701
            finalize=_neutral,
        )
        self._html = Environment(loader=loader, undefined=StrictUndefined, autoescape=True)
        self._layout = self._html.get_template("_layout.html.j2")

    def messages(self) -> list[tuple[str, str]]:
        """Every (locale, file name) shipped: for checks and tests."""
        return sorted((p.parent.name, p.name) for p in self._folder.glob("*/*.j2"))

    def category(self, name: str) -> str:
        source = (self._folder / name).read_text(encoding="utf-8")
        match = CATEGORY.match(source)
        if match is None:
            raise RenderError(f"{name}: the first line must be {{# category: transactional #}} or marketing")
        return match.group(1)

    def category_of(self, message: str, locale: str | None, segment: str) -> str:
        """The tag of the file that would render this message; RenderError when there is none."""
        return self.category(self._find(message, base_locale(locale), segment)[0])

    def render(
        self, *, message: str, locale: str | None, segment: str, context: dict, unsubscribe_url: str | None = None
    ) -> Rendered:
        name, used_locale = self._find(message, base_locale(locale), segment)
        category = self.category(name)
        try:
            template = self._text.get_template(name)
            variables = template.new_context({**context, "locale": used_locale})
            subject = " ".join("".join(template.blocks["subject"](variables)).split())
            body = "".join(template.blocks["body"](variables)).strip()
        except (TemplateError, KeyError) as exc:
            raise RenderError(f"message {message} ({used_locale}): {exc}") from None
        if not subject:
            raise RenderError(f"message {message} ({used_locale}): the subject is empty")
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", body) if p.strip()]
        footer = (
            UNSUBSCRIBE.get(used_locale, UNSUBSCRIBE["en"]) if category == "marketing" and unsubscribe_url else None
        )
        text = "\n\n".join(LINK.sub(r"\1: \2", p) for p in paragraphs)
        if footer:
            text += f"\n\n--\n{footer}: {unsubscribe_url}"
        html = self._layout.render(
            locale=used_locale,
            subject=subject,
            paragraphs=[_segments(p) for p in paragraphs],
            footer=footer,
            unsubscribe_url=unsubscribe_url,
        )
        # Customer data is data: a name such as "{{ 7*7 }}" is printed as it is (Jinja never evaluates values),
        # so the output is not searched for template syntax.
        return Rendered(subject, text + "\n", html, category, used_locale)

    def _find(self, message: str, locale: str, segment: str) -> tuple[str, str]:
        """The most specific file: locale and segment variant, then the locale, then English."""
        for candidate in dict.fromkeys((locale, DEFAULT_LOCALE)):
            for name in (f"{candidate}/{message}.{segment}.j2", f"{candidate}/{message}.j2"):
                try:
                    self._text.get_template(name)
                    return name, candidate
                except TemplateNotFound:
                    continue
        raise RenderError(f"no template for message {message!r} (locale {locale}, segment {segment})")


def _neutral(value: object) -> object:
    if isinstance(value, str):
        return (
            " ".join(value.replace("[", "(").replace("]", ")").split())
            if "\n" in value or "[" in value or "]" in value
            else value
        )
    return value


def _segments(paragraph: str) -> list[tuple[str, str, str]]:
    """A paragraph as ("text", words, ""), ("link", label, url) and ("br", "", "") pieces for the HTML layout."""
    pieces: list[tuple[str, str, str]] = []
    for number, line in enumerate(paragraph.splitlines()):
        if number:
            pieces.append(("br", "", ""))
        position = 0
        for match in LINK.finditer(line):
            if match.start() > position:
                pieces.append(("text", line[position : match.start()], ""))
            pieces.append(("link", match.group(1), match.group(2)))
            position = match.end()
        if position < len(line):
            pieces.append(("text", line[position:], ""))
    return pieces
