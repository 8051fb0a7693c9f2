"""Text from outside (billing events, forms, URLs): what PostgreSQL can store, what a header or a page may show.

Two rules, used by every model that takes such text:
- identifiers (ids, sources, types, query values) are refused when they hold a control character or a lone
  surrogate: changing an id would silently make it another one;
- human text (names, companies, plans, reasons, comments) is cleaned: control characters, Unicode line and
  paragraph separators, bidirectional overrides and lone surrogates become a space, runs of whitespace one
  space (a comment keeps its line breaks). PostgreSQL cannot store U+0000 or a lone surrogate, a mail header
  must not carry a line break, and an override can make a name read backwards in a mail client.
"""

import re
import unicodedata
from typing import Annotated, Any

from pydantic import AfterValidator, Field

# C0 and C1 controls, DEL, the Unicode line/paragraph separators, bidirectional embeddings, overrides and
# isolates, the byte-order mark, and lone surrogates (which JSON can carry and UTF-8 cannot encode).
_UNSAFE_BESIDES_CONTROLS = "\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff"
UNSAFE_CHARACTERS = re.compile(f"[\x00-\x1f{_UNSAFE_BESIDES_CONTROLS}]")
_UNSAFE_BUT_NEWLINE = re.compile(f"[\x00-\x09\x0b-\x1f{_UNSAFE_BESIDES_CONTROLS}]")
_SPACES = re.compile(r"[^\S\n]+")


# The same rule as an OpenAPI / JSON Schema pattern, for documented string parameters.
PLAIN_PATTERN = r"^[^\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]*$"
# Text that holds at least one visible character (what cleaning cannot empty).
VISIBLE_PATTERN = r"[^\s\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]"


def is_plain(text: str) -> bool:
    """True when `text` holds no control character, separator, override or lone surrogate."""
    return UNSAFE_CHARACTERS.search(text) is None


def clean_line(text: str) -> str:
    """One line of human text: unsafe characters become spaces, whitespace runs one space, ends trimmed."""
    return " ".join(UNSAFE_CHARACTERS.sub(" ", unicodedata.normalize("NFC", _no_surrogates(text))).split())


def clean_paragraphs(text: str) -> str:
    """Free text with line breaks kept (CRLF and CR become LF); everything else as in `clean_line`."""
    text = _no_surrogates(text).replace("\r\n", "\n").replace("\r", "\n")
    lines = (_SPACES.sub(" ", _UNSAFE_BUT_NEWLINE.sub(" ", line)).strip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _no_surrogates(text: str) -> str:
    # NFC cannot normalise a string with lone surrogates, so they go first.
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace").replace("\ufffd", " ")


def _plain(value: str) -> str:
    if not is_plain(value):
        raise ValueError("must not contain control characters, line breaks or invalid Unicode")
    return value


def _line_or_none(value: str | None) -> str | None:
    return (clean_line(value) or None) if value is not None else None


def _paragraphs_or_none(value: str | None) -> str | None:
    return (clean_paragraphs(value) or None) if value is not None else None


# Field types for pydantic models that take outside text. The length limit applies to what was sent.
PlainId = Annotated[str, AfterValidator(_plain)]


def optional_line(max_length: int) -> Any:
    """An optional one-line text field, cleaned; blank becomes None."""
    return Annotated[Annotated[str, Field(max_length=max_length)] | None, AfterValidator(_line_or_none)]


def optional_paragraphs(max_length: int) -> Any:
    """An optional free-text field with line breaks, cleaned; blank becomes None."""
    return Annotated[Annotated[str, Field(max_length=max_length)] | None, AfterValidator(_paragraphs_or_none)]
