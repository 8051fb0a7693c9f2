"""The return path and the feedback rules, without a mail server."""

from datetime import UTC, datetime, timedelta

from notifier.domain.feedback import Feedback, effective_kind, from_smtp_answer, soft_retry_at, suppression_scope
from notifier.domain.return_path import delivery_of, return_path

KEY, DOMAIN = b"k" * 32, "bounces.acme.example"
AT = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def test_a_return_path_names_its_delivery_and_nothing_else():
    address = return_path(123456, key=KEY, domain=DOMAIN)
    assert address.startswith("bounce+1e240-") and address.endswith("@bounces.acme.example")
    assert delivery_of(address, key=KEY, domain=DOMAIN) == 123456
    assert delivery_of(f"<{address.upper()}>", key=KEY, domain=DOMAIN) == 123456, "a server that folds case"


def test_a_forged_or_foreign_return_path_names_nothing():
    address = return_path(7, key=KEY, domain=DOMAIN)
    mac = address.split("@")[0].split("-")[1]
    assert delivery_of(f"bounce+8-{mac}@{DOMAIN}", key=KEY, domain=DOMAIN) is None, "another delivery, same MAC"
    assert delivery_of(address, key=b"other key", domain=DOMAIN) is None
    assert delivery_of(address.replace(DOMAIN, "evil.example"), key=KEY, domain=DOMAIN) is None
    for junk in ("", "bounce@" + DOMAIN, "ada@example.org", f"bounce+{'f' * 40}-{mac}@{DOMAIN}", "bounce+-@"):
        assert delivery_of(junk, key=KEY, domain=DOMAIN) is None


def test_the_servers_answer_at_send_time():
    assert from_smtp_answer(550, "5.1.1", AT) == Feedback("hard", "5.1.1", AT, "smtp_answer")
    assert from_smtp_answer(452, None, AT) == Feedback("soft", "452", AT, "smtp_answer")
    assert from_smtp_answer(250, None, AT) is None


def test_soft_bounces_become_hard_after_the_window_and_only_hard_ones_and_complaints_suppress():
    window = timedelta(hours=72)
    soft = Feedback("soft", "4.2.2", AT, "smtp_report")
    assert effective_kind(soft, softly_bouncing_since=None, window=window) == "soft"
    assert effective_kind(soft, softly_bouncing_since=AT - timedelta(hours=71), window=window) == "soft"
    assert effective_kind(soft, softly_bouncing_since=AT - timedelta(hours=72), window=window) == "hard"
    hard = Feedback("hard", "5.1.1", AT, "smtp_report")
    assert effective_kind(hard, softly_bouncing_since=None, window=window) == "hard"
    assert [suppression_scope(k) for k in ("hard", "complaint", "soft")] == ["all", "all", None]


def test_a_refused_address_is_asked_again_after_as_long_as_it_has_bounced_until_the_window_ends():
    window, h = timedelta(hours=72), timedelta(hours=1)
    assert soft_retry_at(AT, AT, window) == AT + timedelta(minutes=15), "the first pause"
    assert soft_retry_at(AT - 2 * h, AT, window) == AT + 2 * h, "doubling: as long as it has bounced"
    assert soft_retry_at(AT - 40 * h, AT, window) == AT + 12 * h, "never longer than 12 hours"
    assert soft_retry_at(AT - 72 * h, AT, window) is None, "then it counts as hard"
    pauses, now = [], AT
    while (again := soft_retry_at(AT, now, window)) is not None:
        pauses.append(again - now)
        now = again
    assert len(pauses) == 12 and now - AT >= window, "about a dozen tries over the 72 hours, then hard"
