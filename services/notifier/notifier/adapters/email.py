"""Email as the wire carries it: the recipient's mailbox, headers and MIME message (adapters/smtp.py sends it)."""

import base64
import email.policy
import functools
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from email import quoprimime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from email_validator import EmailNotValidError, validate_email

from notifier.adapters.rendering import Rendered
from shared.text import clean_line

# Headers up to RFC 5322's 998 characters stay on one line (folding at 78 left some readers showing a leading
# space); used only to format the From setting once.
HEADERS_UNFOLDED = email.policy.SMTP.clone(max_line_length=998)
# Characters that give an address header structure. A display name loses them (and the start of an
# RFC 2047 encoded word), so that no mail client, however it decodes, can read a second address out of it.
ADDRESS_SPECIALS = re.compile(r'[<>@,;:"\\()\[\]]|=\?')
SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,200}$")
# A display name that needs no quotes: RFC 5322 atoms separated by single spaces.
ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\U0010ffff-]+"  # RFC 5322 atext, with UTF-8 as RFC 6532 allows
ATOMS = re.compile(f"{ATOM}( {ATOM})*")
MAX_SUBJECT = 500  # characters; a longer one is cut (documented in docs/input-limits.md)


class SendFailed(Exception):
    """The channel did not take the message; `retryable` says whether trying again may help."""

    def __init__(self, reason: str, *, retryable: bool, refused: tuple[int, str | None] | None = None) -> None:
        super().__init__(reason)
        self.reason, self.retryable = reason, retryable
        self.refused = refused  # the server refused the recipient: (reply code, enhanced status code or None)


class AnswerLost(SendFailed):
    """The end of data went out and the server's answer never came back: the message may have been accepted,
    so it is not sent again (`unconfirmed`)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, retryable=False)


def message_id(command_id: str, domain: str) -> str:
    """Derived from the command: a resend of the same command carries the same Message-ID, so it is recognisable.
    An id that is not plain (a hand-made command) is hashed rather than put into a header."""
    local = (
        command_id
        if SAFE_ID.match(command_id)
        else hashlib.sha256(command_id.encode("utf-8", "replace")).hexdigest()[:40]
    )
    return f"<{local}@{domain}>"


def display_name(name: str | None) -> str:
    """The recipient's name as the To header shows it: one line, no characters with meaning in an address."""
    if not name:
        return ""
    return " ".join(ADDRESS_SPECIALS.sub(" ", clean_line(name)).split())[:100]


@dataclass(frozen=True)
class Mailbox:
    """Where a message goes: the envelope recipient and the To header, built as structure, never as text."""

    envelope: str
    header: Address
    needs_smtputf8: bool


def mailbox(address: str, name: str | None) -> Mailbox:
    """The recipient as SMTP needs it: an IDN domain in its ASCII form; a non-ASCII local part kept as UTF-8
    (SMTPUTF8). Raises UndeliverableAddress for an address no server could take."""
    try:
        valid = validate_email(address, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as exc:
        raise UndeliverableAddress(f"the address is not deliverable: {exc}") from None
    shown = display_name(name)
    if valid.ascii_email:
        return Mailbox(valid.ascii_email, Address(display_name=shown, addr_spec=valid.ascii_email), False)
    domain = valid.ascii_domain or valid.domain
    return Mailbox(f"{valid.local_part}@{domain}", Address(shown, valid.local_part, domain), True)


class UndeliverableAddress(Exception):
    """No mail server can take this address: the step fails for good, with this reason."""


@dataclass(frozen=True)
class OutgoingEmail:
    """A message ready for the wire: its headers (name, value already in wire form) and its two parts.

    Built by hand from pre-rendered parts rather than through `email.message.EmailMessage`, which parsed every
    header value back into structure and cost about a third of the notifier's CPU per email. The test suite
    reads the bytes with the standard library's strict parser (headers, both parts, the To header with
    hostile names) to hold this to the same message."""

    headers: tuple[tuple[str, str], ...]
    text: str
    html: str
    utf8_headers: bool  # SMTPUTF8: header values may be raw UTF-8

    def as_bytes(self, *, eight_bit: bool = True) -> bytes:
        boundary = f"=_{secrets.token_hex(16)}"  # "=_" cannot occur in quoted-printable text
        head = [f"{name}: {value}" for name, value in self.headers]
        head += ["MIME-Version: 1.0", f'Content-Type: multipart/alternative; boundary="{boundary}"']
        lines = ["\r\n".join(head), ""]
        for subtype, body in (("plain", self.text), ("html", self.html)):
            encoding, payload = _body(body, eight_bit=eight_bit)
            lines += [
                f"--{boundary}",
                f'Content-Type: text/{subtype}; charset="utf-8"',
                f"Content-Transfer-Encoding: {encoding}",
                "",
                payload,
            ]
        lines.append(f"--{boundary}--\r\n")
        return "\r\n".join(lines).encode("utf-8")


def build_email(
    *,
    rendered: Rendered,
    sender: str,
    to: Mailbox,
    msg_id: str,
    unsubscribe_url: str | None,
    journey_id: str,
    step: str,
) -> OutgoingEmail:
    utf8 = to.needs_smtputf8
    headers = [
        ("Subject", _words(clean_line(rendered.subject)[:MAX_SUBJECT], utf8=utf8)),
        ("From", _sender_header(sender)),
        ("To", _to_header(to)),
        ("Date", format_datetime(datetime.now(UTC))),
        ("Message-ID", msg_id),
        # Ids only (no personal data): support and tests can tell which journey step a message belongs to.
        ("X-Offboarding-Journey", _words(clean_line(journey_id), utf8=utf8)),
        ("X-Offboarding-Step", _words(clean_line(step), utf8=utf8)),
    ]
    if unsubscribe_url:
        # RFC 8058 one-click unsubscribe: mail clients POST "List-Unsubscribe=One-Click" to the URL.
        headers.append(("List-Unsubscribe", f"<{unsubscribe_url}>"))
        headers.append(("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
    headers.append(("Content-Language", _words(clean_line(rendered.locale), utf8=utf8)))
    return OutgoingEmail(tuple(headers), rendered.text, rendered.html, utf8)


def _to_header(to: Mailbox) -> str:
    """`Name <address>`: the name (already stripped of every character with meaning in an address) as atoms,
    quoted when it has a dot, encoded when it is not ASCII and the server cannot take UTF-8."""
    address = to.header.addr_spec
    name = to.header.display_name
    if not name:
        return address
    if not name.isascii() and not to.needs_smtputf8:
        return f"{_words(name, utf8=False)} <{address}>"
    return f"{_phrase(name)} <{address}>"


def _phrase(name: str) -> str:
    return name if ATOMS.fullmatch(name) else f'"{name}"'


@functools.lru_cache(maxsize=8)
def _sender_header(sender: str) -> str:
    """The From header as the standard library folds it: a setting, formatted once."""
    message = EmailMessage(policy=HEADERS_UNFOLDED)
    message["From"] = sender
    return message.as_string().split(":", 1)[1].strip()


def _words(text: str, *, utf8: bool) -> str:
    """A header value: as it is when ASCII (or when the server takes UTF-8); otherwise RFC 2047 encoded words
    of at most 75 characters, on one line while it stays under RFC 5322's 998 (folded after that)."""
    if utf8 or text.isascii():
        return text
    words, chunk = [], ""
    for character in text:
        if len((chunk + character).encode()) > 45:
            words.append(chunk)
            chunk = ""
        chunk += character
    words.append(chunk)
    encoded = [f"=?utf-8?b?{base64.b64encode(w.encode()).decode()}?=" for w in words]
    lines, line = [], ""
    for word in encoded:
        if line and len(line) + len(word) > 900:
            lines.append(line)
            line = ""
        line = f"{line} {word}" if line else word
    return "\r\n ".join([*lines, line])


def _body(text: str, *, eight_bit: bool) -> tuple[str, str]:
    """A part's transfer encoding and payload (CRLF line ends): 7bit or 8bit when the lines allow it, else
    quoted-printable."""
    unified = text.replace("\r\n", "\n").replace("\r", "\n")
    longest = max(map(len, unified.encode().split(b"\n")))  # bytes, measured in C rather than line by line
    if longest <= 998 and (eight_bit or text.isascii()):
        return ("7bit" if text.isascii() else "8bit"), unified.replace("\n", "\r\n")
    raw = unified.encode("utf-8").decode("latin-1")
    return "quoted-printable", quoprimime.body_encode(raw, maxlinelen=76, eol="\r\n")
