"""Consent, suppression, the marketing cap and quiet hours."""

from datetime import UTC, datetime, time, timedelta

import pytest

from notifier.domain.consent import Defer, Protection, Send, Skip, decide

P = Protection(quiet_start=time(21), quiet_end=time(8), marketing_cap=timedelta(days=7))
NOON_BERLIN = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)


def marketing(**kw):
    args = (
        dict(
            category="marketing",
            consent=True,
            suppressed=False,
            last_marketing_at=None,
            now=NOON_BERLIN,
            timezone="Europe/Berlin",
            protection=P,
        )
        | kw
    )
    return decide(**args)


def test_transactional_always_goes():
    assert (
        decide(
            category="transactional",
            consent=False,
            suppressed=True,
            last_marketing_at=NOON_BERLIN,
            now=datetime(2026, 11, 25, 2, tzinfo=UTC),
            timezone="Europe/Berlin",
            protection=P,
        )
        == Send()
    )


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"consent": False}, "no marketing consent"),
        ({"suppressed": True}, "unsubscribed"),
        ({"last_marketing_at": NOON_BERLIN - timedelta(days=3)}, "within 7 days"),
    ],
)
def test_marketing_is_skipped_without_consent_when_suppressed_or_capped(kwargs, reason):
    decision = marketing(**kwargs)
    assert isinstance(decision, Skip) and reason in decision.reason


def test_marketing_goes_in_the_day_and_after_the_cap():
    assert marketing() == Send()
    assert marketing(last_marketing_at=NOON_BERLIN - timedelta(days=8)) == Send()


def test_quiet_hours_defer_to_the_next_morning_in_the_customers_zone():
    late = datetime(2026, 11, 25, 22, 30, tzinfo=UTC)  # 23:30 in Berlin
    decision = marketing(now=late)
    assert isinstance(decision, Defer)
    assert decision.until == datetime(2026, 11, 26, 7, 0, tzinfo=UTC)  # 08:00 Berlin
    early = datetime(2026, 11, 26, 5, 0, tzinfo=UTC)  # 06:00 Berlin
    assert marketing(now=early).until == datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
    assert marketing(now=late, timezone="America/Los_Angeles") == Send(), "14:30 in Los Angeles"
