"""What the template check knows of the notifier's message files, read as text (the orchestrator never renders):
which messages exist in which locale and segment variant, their category tag and their blocks.

A message file is `email/<locale>/<message>[.<segment>].j2` with `{% block subject %}` and `{% block body %}`,
optionally `preheader`, `facts`, `button`, `secondary`, `note` and `closing` (the blocks make both the
plain-text and the HTML part, through the notifier's MJML layout `_layout.mjml`), and a first line
`{# category: transactional #}` or `{# category: marketing #}`.
"""

import re
from dataclasses import dataclass

from orchestrator.domain.findings import Finding

LOCALES = ("en", "de")  # every message exists in each
SEGMENTS = ("b2c", "b2b")
CATEGORY = re.compile(r"^\{#\s*category:\s*(transactional|marketing)\s*#\}")
BLOCK = re.compile(r"\{%-?\s*block\s+(\w+)\s*-?%\}")
FILE = re.compile(r"^(?P<message>[a-z][a-z0-9_]*)(?:\.(?P<segment>b2c|b2b))?\.j2$")
PARTS = ("subject", "body")
# The notifier's blocks (notifier/adapters/rendering.py BLOCKS): it refuses to render a file with any other.
KNOWN_BLOCKS = ("subject", "preheader", "body", "facts", "button", "secondary", "note", "closing")
LAYOUT = "_layout.mjml"


@dataclass(frozen=True)
class MessageFile:
    locale: str
    message: str
    segment: str | None
    category: str | None
    blocks: frozenset[str]


class MessageInventory:
    """The message files under one `email/` folder, given as relative path -> text."""

    def __init__(self, files: dict[str, str], *, root: str = "services/notifier/templates/email") -> None:
        self.root = root
        self._files: dict[str, MessageFile] = {}
        self._unreadable: list[str] = []
        self._layout = LAYOUT in files
        for path, text in files.items():
            locale, _, name = path.rpartition("/")
            match = FILE.match(name)
            if not locale or match is None:
                if path != LAYOUT:
                    self._unreadable.append(path)
                continue
            tag = CATEGORY.match(text)
            self._files[path] = MessageFile(
                locale=locale,
                message=match["message"],
                segment=match["segment"],
                category=tag.group(1) if tag else None,
                blocks=frozenset(BLOCK.findall(text)),
            )

    def path(self, locale: str, message: str, segment: str | None = None) -> str:
        return f"{self.root}/{locale}/{message}{'.' + segment if segment else ''}.j2"

    def names(self) -> list[str]:
        return sorted({f.message for f in self._files.values()})

    def locales(self, message: str) -> set[str]:
        """Locales with the message's generic file (the one every segment falls back to)."""
        return {f.locale for f in self._files.values() if f.message == message and f.segment is None}

    def category(self, message: str) -> str | None:
        """The tag of the English generic file, which decides for the notifier when another locale lacks one."""
        for f in self._files.values():
            if f.message == message and f.segment is None and f.locale == LOCALES[0]:
                return f.category
        return None

    def findings(self) -> list[Finding]:
        """Problems in the message files themselves: a missing tag or block, a segment variant missing in a
        locale, a tag that differs between locales, files the notifier would never find, a missing layout."""
        found = []
        if not self._layout:
            found.append(
                Finding(
                    f"{self.root}/{LAYOUT}",
                    None,
                    "the HTML layout is missing: no HTML part can be built",
                    "restore the notifier's layout",
                )
            )
        for path in self._unreadable:
            found.append(
                Finding(
                    f"{self.root}/{path}",
                    None,
                    "the notifier never reads this file",
                    "name it <locale>/<message>[.b2b|.b2c].j2",
                )
            )
        variants = {(f.message, f.segment) for f in self._files.values()}
        for path, f in sorted(self._files.items()):
            where = f"{self.root}/{path}"
            if f.category is None:
                found.append(
                    Finding(
                        where,
                        1,
                        "the first line does not tag the message's category",
                        "start the file with {# category: transactional #} or {# category: marketing #}",
                    )
                )
            for part in PARTS:
                if part not in f.blocks:
                    found.append(
                        Finding(
                            where,
                            None,
                            f"no `{part}` block: the message has no {_part_name(part)}",
                            f"add {{% block {part} %}}...{{% endblock %}}",
                        )
                    )
            for block in sorted(f.blocks - set(KNOWN_BLOCKS)):
                found.append(
                    Finding(
                        where,
                        None,
                        f"unknown block `{block}`: the notifier refuses to render this message",
                        f"use only {', '.join(KNOWN_BLOCKS)}",
                    )
                )
            tags = {g.category for g in self._files.values() if g.message == f.message}
            if len(tags - {None}) > 1 and f.locale != LOCALES[0]:
                found.append(
                    Finding(
                        where,
                        1,
                        f"tagged {f.category}, other locales of {f.message} are not",
                        "tag every locale of a message alike",
                    )
                )
        # A generic file missing in a locale is reported with the step that sends it; here, segment variants.
        for message, segment in sorted(v for v in variants if v[1] is not None):
            have = {f.locale for f in self._files.values() if (f.message, f.segment) == (message, segment)}
            for locale in LOCALES:
                if locale not in have:
                    found.append(
                        Finding(
                            self.path(locale, message, segment),
                            None,
                            f"message {message} for {segment} exists in {', '.join(sorted(have))} but not in {locale}",
                            f"add {self.path(locale, message, segment)}",
                        )
                    )
        return found


def _part_name(part: str) -> str:
    return "subject" if part == "subject" else "text or HTML part"
