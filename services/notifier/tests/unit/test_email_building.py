"""The MIME message: both parts, ids in headers, one-click unsubscribe for marketing, long subjects unfolded;
and the To header, built from structure, never lets a name add a recipient or a header."""

import email
import email.header
import email.policy
import email.utils

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notifier.adapters.email import UndeliverableAddress, build_email, display_name, mailbox, message_id
from notifier.adapters.rendering import Rendered
from notifier.adapters.smtp import _wire_format

LONG = "Analytical Engines Ltd: your Acme subscription ends on 25 December 2026"
CUSTOMER = "customer@example.com"


def build(unsubscribe_url=None, *, name="Ada Lovelace", address=CUSTOMER, subject=LONG):
    rendered = Rendered(subject=subject, text="Hello\n", html="<p>Hello</p>", category="transactional", locale="en")
    return build_email(
        rendered=rendered,
        sender="Acme <a@acme.example>",
        to=mailbox(address, name),
        msg_id="<c1@acme.example>",
        unsubscribe_url=unsubscribe_url,
        journey_id="j1",
        step="confirmation",
    )


def wire(*, name="Ada Lovelace", address=CUSTOMER, subject=LONG) -> bytes:
    """The bytes the SMTP channel puts on the wire."""
    message = build(name=name, address=address, subject=subject)
    return _wire_format(message, mailbox(address, name), eight_bit=True)[0]


def header_lines(raw: bytes) -> list[bytes]:
    """The header block, unfolded: one entry per header."""
    head = raw.split(b"\r\n\r\n")[0].replace(b"\r\n ", b" ").replace(b"\r\n\t", b" ")
    return head.split(b"\r\n")


def test_parts_ids_and_an_unfolded_subject():
    raw = wire()
    assert f"Subject: {LONG}\r\n".encode() in raw, "on one line on the wire, no leading space once parsed"
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"] == LONG
    assert parsed["X-Offboarding-Journey"] == "j1" and parsed["X-Offboarding-Step"] == "confirmation"
    assert parsed.get_body(("plain",)).get_content().strip() == "Hello"
    assert parsed.get_body(("html",)).get_content().strip() == "<p>Hello</p>"
    assert parsed["Content-Language"] == "en" and "List-Unsubscribe" not in parsed


def test_marketing_carries_rfc_8058_headers():
    parsed = email.message_from_bytes(build("https://n.example/u/tok").as_bytes(), policy=email.policy.default)
    assert parsed["List-Unsubscribe"] == "<https://n.example/u/tok>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def recipients_any_client_could_read(raw: bytes) -> list[list[str]]:
    """The addresses of the To header as three kinds of reader see them: a strict parser, a legacy parser, and
    one that decodes encoded words before it parses (what a careless mail client does)."""
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    headers = [line for line in header_lines(raw) if line.lower().startswith(b"to:")]
    assert len(headers) == 1, headers
    value = headers[0][3:].decode("utf-8", "replace").strip()
    decoded = str(email.header.make_header(email.header.decode_header(value)))
    return [
        [a.addr_spec for a in parsed["To"].addresses],
        [a for _, a in email.utils.getaddresses([value]) if a],
        [a for _, a in email.utils.getaddresses([decoded]) if "@" in a],
    ]


HOSTILE_NAMES = [
    "Évé Zq <attacker@evil.test>, x",
    "Zq <attacker@evil.test>, x",
    "=?utf-8?q?attacker=40evil=2Etest?= z",
    "=?utf-8?b?YXR0YWNrZXJAZXZpbC50ZXN0?=",
    'Ada" <attacker@evil.test>, "x',
    "Ada\r\nBcc: attacker@evil.test",
    "Ada\nBcc: attacker@evil.test",
    "Ada\x0bLovelace",
    "Ada\x00Lovelace",
    "attacker@evil.test",
    "Lovelace, Ada (Countess); x: y",
    'Ada \\" <a@b.c>',
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_no_name_adds_a_recipient_or_a_header(name):
    raw = wire(name=name)
    for reader in recipients_any_client_could_read(raw):
        assert reader == [CUSTOMER], (name, reader)
    names = [line.split(b":")[0].lower() for line in header_lines(raw)]
    assert b"bcc" not in names and b"@evil.test" not in b"\n".join(header_lines(raw))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_name_at_all_gives_exactly_one_recipient(name):
    raw = wire(name=name)
    for reader in recipients_any_client_could_read(raw):
        assert reader == [CUSTOMER]
    header_names = [line.split(b":")[0] for line in header_lines(raw)]
    assert len(header_names) == len(set(header_names)), "no header twice"


def test_a_readable_name_stays_readable():
    assert display_name("Ada Lovelace") == "Ada Lovelace"
    assert display_name("Lovelace, Ada") == "Lovelace Ada"
    assert display_name("Évé Zq <attacker@evil.test>, x") == "Évé Zq attacker evil.test x"
    assert display_name(None) == ""


def test_an_international_domain_goes_out_in_ascii_and_a_non_ascii_local_part_needs_smtputf8():
    idn = mailbox("ada@exämple.com", "Ada")
    assert (idn.envelope, idn.needs_smtputf8) == ("ada@xn--exmple-cua.com", False)
    utf8 = mailbox("zqä14@example.com", "Ada")
    assert (utf8.envelope, utf8.needs_smtputf8) == ("zqä14@example.com", True)
    raw = wire(address="zqä14@example.com")
    assert "To: Ada Lovelace <zqä14@example.com>".encode() in raw


def test_an_address_no_server_can_take_is_refused_with_a_reason():
    with pytest.raises(UndeliverableAddress):
        mailbox("ada@localhost", "Ada")


def test_a_command_id_that_is_not_plain_never_reaches_a_header():
    assert message_id("3f2a-11", "acme.example") == "<3f2a-11@acme.example>"
    hashed = message_id("x>\r\nBcc: a@b", "acme.example")
    assert hashed.startswith("<") and "\n" not in hashed and "Bcc" not in hashed


def test_a_subject_with_a_line_break_stays_one_line():
    raw = wire(subject="Your plan\r\nBcc: attacker@evil.test")
    assert not any(line.startswith(b"Bcc") for line in header_lines(raw))
