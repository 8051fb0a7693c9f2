"""Bounces as real mail servers sent them (flufl.bounce's collection, tests/reports_real_world/README.md): each
becomes a hard or a soft bounce with its RFC 3463 status code (only the code, never the server's comment after
it), or nothing at all when it is no bounce (an out-of-office reply, a person's answer)."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from notifier.adapters.reports import read_report

SAMPLES = Path(__file__).resolve().parents[1] / "reports_real_world"
NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)

EXPECTED = {
    # A standard delivery-status part: its Status field's code, whatever text follows it.
    "dsn_01.txt": ("hard", "5.0.0"),  # "5.0.0 (recipient reached disk quota)"
    "dsn_02.txt": ("hard", "4.4.7"),  # gave up after retrying: failed, with the code it failed with
    "dsn_03.txt": ("hard", "5.0.0"),  # "553 Exceeded maximum inbound message size": no RFC 3463 code in it
    "dsn_05.txt": ("soft", "4.4.1"),  # "Action: delayed"
    "dsn_08.txt": ("soft", "4.0.0"),
    "dsn_11.txt": ("hard", "5.1.1"),
    "dsn_13.txt": ("hard", "5.1.1"),
    "postfix_01.txt": ("hard", "5.0.0"),
    "simple_28.txt": ("soft", "4.0.0"),  # "Delivery Status Notification (Delay)"
    # Formats of their own, read by flufl.bounce's detectors.
    "aol_01.txt": ("hard", "5.0.0"),
    "exim_01.txt": ("hard", "5.0.0"),
    "groupwise_01.txt": ("hard", "5.0.0"),
    "hotpop_01.txt": ("hard", "5.0.0"),
    "llnl_01.txt": ("hard", "5.0.0"),
    "microsoft_01.txt": ("hard", "5.0.0"),
    "microsoft_03.txt": ("hard", "5.0.0"),
    "netscape_01.txt": ("hard", "5.0.0"),
    "qmail_01.txt": ("hard", "5.0.0"),
    "sendmail_01.txt": ("hard", "5.0.0"),
    "simple_03.txt": ("soft", "4.0.0"),  # Exim: "Warning: message ... delayed 24 hours"
    "smtp32_01.txt": ("hard", "5.0.0"),
    "yahoo_01.txt": ("hard", "5.0.0"),
    "yahoo_11.txt": ("hard", "5.0.0"),
    # No bounce: accepted by the listener, counted, never recorded.
    "qmail_08.txt": None,  # an auto-reply
    "groupwise_03.txt": None,  # a person's answer
    "simple_43.txt": None,  # a failure notice that names no address
    "dumbass_01.txt": None,  # ditto, from Microsoft
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_real_world_report_becomes_what_it_says(name):
    report = read_report((SAMPLES / name).read_bytes(), received_at=NOW)
    found = (report.feedback.kind, report.feedback.reason_code) if report else None
    assert found == EXPECTED[name]
    assert report is None or report.feedback.source == "smtp_report"


def test_every_vendored_sample_is_expected():
    assert {p.name for p in SAMPLES.glob("*.txt")} == set(EXPECTED)
