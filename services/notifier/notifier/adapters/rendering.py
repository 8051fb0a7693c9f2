"""Message templates: Jinja2, one file per message and locale, rendered to a subject, a plain-text part and
an HTML part from one source.

A file holds `{% block subject %}` and `{% block body %}`, and may hold `preheader`, `facts`, `button`,
`secondary`, `note` and `closing` (their forms: adapters/message_parts.py). The plain-text part is the blocks
in order with links spelled out; the HTML part puts the same blocks into the responsive layout
`_layout.mjml` (brand header, key-facts box, one primary button and at most one secondary link, footer with
who we are), compiled from MJML by MRML once per process and filled by an autoescaping Jinja template, so
no value can inject markup. Undefined variables are errors (StrictUndefined): a message is never sent
half-rendered. The first line of each file tags it: `{# category: transactional #}` or `{# category: marketing #}`.
"""

import re
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound
from mjml import mjml2html

from notifier.adapters import message_parts as parts
from shared.brand import Brand
from shared.i18n import format_date, format_time  # noqa: F401 (the message context reads them here)

CATEGORY = re.compile(r"^\{#\s*category:\s*(transactional|marketing)\s*#\}")
BLOCKS = ("subject", "preheader", "body", "facts", "button", "secondary", "note", "closing")
RIGHT_TO_LEFT = {"ar", "fa", "he", "ur", "yi"}
STRUCTURAL_TAG = re.compile(r"><(?=/?(?:table|tbody|tr|td|th|div|p|ul|li|style|meta|head|body|title)\b|!--)")
DEFAULT_LOCALE = "en"
LANGUAGE = re.compile(r"^[a-z]{2,3}$")
FOOTER = {
    "en": {
        "support": "Support:",
        "privacy": "Privacy policy",
        "why": "You get this email about your {brand} subscription.",
        "why_marketing": "You get offers like this because you agreed to hear from us.",
        "unsubscribe": "Unsubscribe with one click",
        "page": "Your dates, your data and help, always up to date:",
        "page_link": "your cancellation page",
    },
    "de": {
        "support": "Kundenservice:",
        "privacy": "Datenschutz",
        "why": "Sie erhalten diese E-Mail zu Ihrem {brand}-Abonnement.",
        "why_marketing": "Sie erhalten solche Angebote, weil Sie zugestimmt haben.",
        "unsubscribe": "Mit einem Klick abmelden",
        "page": "Ihre Termine, Ihre Daten und Hilfe, immer aktuell:",
        "page_link": "Ihre Kündigungsseite",
    },
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


def base_locale(locale: str | None) -> str:
    """The language of a locale tag (`de-AT` -> `de`); English for anything that is not a language code."""
    language = (locale or DEFAULT_LOCALE).replace("_", "-").split("-")[0].lower()
    return language if LANGUAGE.match(language) else DEFAULT_LOCALE


class Renderer:
    def __init__(self, folder: Path, *, brand: Brand) -> None:
        self._folder, self._brand = folder / "email", brand
        loader = FileSystemLoader(self._folder)
        # The blocks are plain text (the HTML part is built by the autoescaping layout below). Values are
        # neutralised so that data (a customer's name) can never form a link or a new paragraph.
        self._text = Environment(
            loader=loader,
            undefined=StrictUndefined,
            autoescape=False,  # noqa: S701
            finalize=_neutral,
            auto_reload=False,  # message files change with a deployment, not while it runs
        )
        self._html = Environment(undefined=StrictUndefined, autoescape=True)
        # Compiled once: MRML takes about a millisecond, the filled template a fraction of that. No fonts are
        # imported (a mail client fetching stylesheets is a tracking and a privacy problem).
        compiled = mjml2html((self._folder / "_layout.mjml").read_text(encoding="utf-8"), fonts={})
        # MRML writes long lines; broken between structural tags they stay under SMTP's 998 characters, so the
        # part goes out as 8bit text rather than quoted-printable (whose encoder cost more than the rendering).
        self._layout = self._html.from_string(STRUCTURAL_TAG.sub(">\n<", compiled))
        self._found: dict[tuple[str, str, str], tuple[str, str]] = {}
        self._categories: dict[str, str] = {}

    def messages(self) -> list[tuple[str, str]]:
        """Every (locale, file name) shipped: for checks and tests."""
        return sorted((p.parent.name, p.name) for p in self._folder.glob("*/*.j2"))

    def category(self, name: str) -> str:
        if name not in self._categories:
            match = CATEGORY.match((self._folder / name).read_text(encoding="utf-8"))
            if match is None:
                raise RenderError(f"{name}: the first line must be {{# category: transactional #}} or marketing")
            self._categories[name] = match.group(1)
        return self._categories[name]

    def category_of(self, message: str, locale: str | None, segment: str) -> str:
        """The tag of the file that would render this message; RenderError when there is none."""
        return self.category(self._find(message, base_locale(locale), segment)[0])

    def render(
        self, *, message: str, locale: str | None, segment: str, context: dict, unsubscribe_url: str | None = None
    ) -> Rendered:
        name, used_locale = self._find(message, base_locale(locale), segment)
        category = self.category(name)
        where = f"message {message} ({used_locale})"
        try:
            template = self._text.get_template(name)
            variables = template.new_context({**context, "locale": used_locale})
            blocks = {block: "".join(render(variables)).strip() for block, render in template.blocks.items()}
        except (TemplateError, KeyError) as exc:
            raise RenderError(f"{where}: {exc}") from None
        unknown = sorted(set(blocks) - set(BLOCKS))
        if unknown:
            raise RenderError(f"{where}: unknown block {unknown[0]!r}; the blocks are {', '.join(BLOCKS)}")
        subject = " ".join(blocks.get("subject", "").split())
        if not subject:
            raise RenderError(f"{where}: the subject is empty")
        try:
            message_parts = _Parts.read(blocks)
        except parts.PartError as exc:
            raise RenderError(f"{where}: {exc}") from None
        footer = _footer(used_locale, self._brand.name, marketing=category == "marketing" and bool(unsubscribe_url))
        # Every email links to the customer's own page: in the template's button or secondary link if it says so,
        # else in a line of its own above the footer.
        page_url = context.get("page_url")
        if page_url and any(a.url == page_url for a in (message_parts.button, message_parts.secondary) if a):
            page_url = None
        text = message_parts.text(self._brand, footer, unsubscribe_url, page_url=page_url)
        html = self._layout.render(
            locale=used_locale,
            dir="rtl" if used_locale in RIGHT_TO_LEFT else "ltr",
            subject=subject,
            preheader=message_parts.preheader,
            brand=self._brand,
            body_html=parts.html(message_parts.body),
            facts=message_parts.facts,
            button=message_parts.button,
            secondary=message_parts.secondary,
            note_html=parts.html(message_parts.note),
            closing_html=parts.html(message_parts.closing),
            footer=footer,
            page_url=page_url,
            unsubscribe_url=unsubscribe_url if footer["marketing"] else None,
        )
        # Customer data is data: a name such as "{{ 7*7 }}" is printed as it is (Jinja never evaluates values),
        # so the output is not searched for template syntax.
        return Rendered(subject, text, html, category, used_locale)

    def _find(self, message: str, locale: str, segment: str) -> tuple[str, str]:
        """The most specific file: locale and segment variant, then the locale, then English. Remembered: a
        file that is not there costs a look at the disk each time (only files found are remembered)."""
        key = (message, locale, segment)
        if key in self._found:
            return self._found[key]
        for candidate in dict.fromkeys((locale, DEFAULT_LOCALE)):
            for name in (f"{candidate}/{message}.{segment}.j2", f"{candidate}/{message}.j2"):
                try:
                    self._text.get_template(name)
                except TemplateNotFound:
                    continue
                self._found[key] = (name, candidate)
                return name, candidate
        raise RenderError(f"no template for message {message!r} (locale {locale}, segment {segment})")


def _neutral(value: object) -> object:
    if isinstance(value, str):
        return (
            " ".join(value.replace("[", "(").replace("]", ")").split())
            if "\n" in value or "[" in value or "]" in value
            else value
        )
    return value


@dataclass(frozen=True)
class _Parts:
    """A rendered message file's blocks, read into the forms the text part and the layout need."""

    body: list[str]
    facts: list[tuple[str, str]]
    button: parts.Action | None
    secondary: parts.Action | None
    note: list[str]
    closing: list[str]
    preheader: str

    @classmethod
    def read(cls, blocks: dict[str, str]) -> "_Parts":
        body = parts.paragraphs(blocks.get("body", ""))
        if not body:
            raise parts.PartError("the body is empty")
        return cls(
            body=body,
            facts=parts.facts(blocks.get("facts", "")),
            button=parts.action(blocks.get("button", ""), "button"),
            secondary=parts.action(blocks.get("secondary", ""), "secondary link"),
            note=parts.paragraphs(blocks.get("note", "")),
            closing=parts.paragraphs(blocks.get("closing", "")),
            preheader=" ".join(blocks.get("preheader", "").split()) or parts.preheader(" ".join(body[1:] or body)),
        )

    def text(self, brand: Brand, footer: dict, unsubscribe_url: str | None, *, page_url: str | None) -> str:
        sections = [parts.plain(p) for p in self.body]
        if self.facts:
            sections.append("\n".join(f"{label}: {value}" for label, value in self.facts))
        actions = [f"{a.label}: {a.url}" for a in (self.button, self.secondary) if a]
        if actions:
            sections.append("\n".join(actions))
        sections += [parts.plain(p) for p in self.note + self.closing]
        if page_url:
            sections.append(f"{footer['page']} {page_url}")
        who = brand.company + (f" · {brand.postal_address}" if brand.postal_address else "")
        lines = [who, f"{footer['support']} {brand.support_email} · {footer['privacy']}: {brand.privacy_url}"]
        lines.append(
            f"{footer['why']} {footer['unsubscribe']}: {unsubscribe_url}" if footer["marketing"] else footer["why"]
        )
        sections.append("--\n" + "\n".join(lines))
        return "\n\n".join(sections) + "\n"


def _footer(locale: str, brand: str, *, marketing: bool) -> dict:
    words = FOOTER.get(locale, FOOTER["en"])
    why = words["why_marketing"] if marketing else words["why"].format(brand=brand)
    return {**words, "why": why, "marketing": marketing}
