"""The MIME message: both parts, ids in headers, one-click unsubscribe for marketing, long subjects unfolded."""

import email
import email.policy

from notifier.adapters.email import build_email
from notifier.adapters.rendering import Rendered

LONG = "Analytical Engines Ltd: your Acme subscription ends on 25 December 2026"


def build(unsubscribe_url=None):
    rendered = Rendered(subject=LONG, text="Hello\n", html="<p>Hello</p>", category="transactional", locale="en")
    return build_email(
        rendered=rendered,
        sender="Acme <a@acme.example>",
        to_address="ada@example.com",
        to_name="Ada Lovelace",
        msg_id="<c1@acme.example>",
        unsubscribe_url=unsubscribe_url,
        journey_id="j1",
        step="confirmation",
    )


def test_parts_ids_and_an_unfolded_subject():
    raw = build().as_bytes()
    assert f"Subject: {LONG}\r\n".encode() in raw, "on one line, no leading space once parsed"
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
