"""The parts of a message file as the layout needs them, from the text its author wrote.

A message file's blocks are plain text: `body`, `note` and `closing` are paragraphs separated by blank lines,
with `- ` lines as a list and links written `[label](url)`; `facts` is one `Label: value` per line (the key
dates); `button` and `secondary` are one `[label](url)` each. The plain-text part spells links out; the HTML
fragments escape every piece of text, so no value can add markup.
"""

import re
from dataclasses import dataclass

from markupsafe import Markup, escape

LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
PREHEADER_LENGTH = 110


class PartError(ValueError):
    """A block does not have the form its name asks for (the author's mistake, named)."""


@dataclass(frozen=True)
class Action:
    label: str
    url: str


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def plain(paragraph: str) -> str:
    """A paragraph for the plain-text part: links as `label: url`."""
    return LINK.sub(r"\1: \2", paragraph)


def facts(text: str) -> list[tuple[str, str]]:
    rows = []
    for line in text.splitlines():
        if line.strip():
            label, separator, value = line.partition(": ")
            if not separator or not label.strip() or not value.strip():
                raise PartError(f"a fact is `Label: value`, not {line.strip()[:60]!r}")
            rows.append((label.strip(), value.strip()))
    return rows


def action(text: str, block: str) -> Action | None:
    text = text.strip()
    if not text:
        return None
    match = LINK.fullmatch(text)
    if match is None:
        raise PartError(f"the {block} is one link written [label](https://...), not {text[:60]!r}")
    return Action(match.group(1).strip(), match.group(2))


def preheader(text: str) -> str:
    """The first words of the body, for the inbox's preview line when the author wrote none."""
    words = " ".join(LINK.sub(r"\1", text).split())
    return words if len(words) <= PREHEADER_LENGTH else words[: PREHEADER_LENGTH - 1].rsplit(" ", 1)[0] + "…"


def html(blocks: list[str]) -> Markup:
    """Paragraphs as HTML: runs of `- ` lines become a list, other lines a paragraph (lines joined by <br>)."""
    out: list[str] = []
    for block in blocks:
        run: list[str] = []
        listing = False
        for line in [*block.splitlines(), None]:
            is_item = line is not None and line.startswith("- ")
            if run and (line is None or is_item != listing):
                out.append(_list(run) if listing else _paragraph(run))
                run = []
            if line is not None:
                run.append(line[2:] if is_item else line)
                listing = is_item
    # Every piece of text went through escape() in _inline; only these fixed tags are added around it.
    return Markup("\n".join(out))  # noqa: S704


def _paragraph(lines: list[str]) -> str:
    return "<p>" + "<br>".join(map(_inline, lines)) + "</p>"


def _list(items: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{_inline(item)}</li>" for item in items) + "</ul>"


def _inline(line: str) -> str:
    """One line as HTML: its text escaped, its [label](url) links as anchors (label and URL escaped)."""
    pieces, position = [], 0
    for match in LINK.finditer(line):
        pieces.append(escape(line[position : match.start()]))
        pieces.append(f'<a href="{escape(match.group(2))}">{escape(match.group(1))}</a>')
        position = match.end()
    pieces.append(escape(line[position:]))
    return "".join(pieces)
