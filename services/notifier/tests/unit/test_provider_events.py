"""The providers' documented events as feedback, and any JSON at all never raising (hypothesis)."""

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from notifier.adapters.reports import read_report
from notifier.domain import provider_events
from shared.testing import json_shaped_like

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
KEYS = [
    "notificationType",
    "bounce",
    "complaint",
    "bounceType",
    "bouncedRecipients",
    "complainedRecipients",
    "mail",
    "commonHeaders",
    "event",
    "type",
    "RecordType",
    "Type",
    "Email",
    "email",
    "timestamp",
    "status",
    "TypeCode",
]
SHAPED = json_shaped_like(KEYS)


def test_ses_transient_bounce_and_complaint():
    bounce = {
        "notificationType": "Bounce",
        "bounce": {
            "bounceType": "Transient",
            "bounceSubType": "MailboxFull",
            "bouncedRecipients": [{"emailAddress": "a@example.org"}],
            "timestamp": "2026-12-02T10:00:00Z",
        },
        "mail": {"source": "bounce+1-x@b.example", "commonHeaders": {"messageId": "<m@x>"}},
    }
    (soft,) = provider_events.ses(bounce, received_at=NOW)
    assert (soft.feedback.kind, soft.feedback.reason_code, soft.return_path, soft.message_id) == (
        "soft",
        "MailboxFull",
        "bounce+1-x@b.example",
        "<m@x>",
    )
    complaint = {"notificationType": "Complaint", "complaint": {"complainedRecipients": [{"emailAddress": "a@x.org"}]}}
    (c,) = provider_events.ses(complaint, received_at=NOW)
    assert (c.feedback.kind, c.feedback.reason_code, c.feedback.occurred_at) == ("complaint", "abuse", NOW)
    assert provider_events.ses({"notificationType": "Delivery"}, received_at=NOW) == []


def test_sendgrid_and_postmark_kinds():
    events = [
        {"event": "bounce", "type": "blocked", "email": "a@x.org", "status": "4.7.1"},
        {"event": "bounce", "type": "bounce", "email": "b@x.org", "status": "5.1.1", "timestamp": 1764669600},
        {"event": "open", "email": "c@x.org"},
        {"event": "deferred", "email": "d@x.org"},
    ]
    kinds = [(f.feedback.kind, f.feedback.reason_code) for f in provider_events.sendgrid(events, received_at=NOW)]
    assert kinds == [("soft", "4.7.1"), ("hard", "5.1.1"), ("soft", "deferred")]
    spam = {"RecordType": "SpamComplaint", "Email": "a@x.org", "BouncedAt": "2026-12-02T10:00:00Z"}
    assert provider_events.postmark(spam, received_at=NOW)[0].feedback.kind == "complaint"
    assert provider_events.postmark({"RecordType": "Delivery"}, received_at=NOW) == []


@settings(max_examples=300, deadline=None)
@given(SHAPED)
def test_no_provider_event_makes_the_mapping_raise(body):
    for read in (provider_events.ses, provider_events.sendgrid, provider_events.postmark):
        for item in read(body, received_at=NOW) + read([body], received_at=NOW):
            assert item.feedback.kind in ("hard", "soft", "complaint") and item.feedback.occurred_at.tzinfo


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_no_mailed_bytes_make_the_report_reader_raise(raw):
    report = read_report(
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=B\r\n\r\n" + raw, received_at=NOW
    )
    assert report is None or report.feedback.kind in ("hard", "soft", "complaint")
