"""The reputation guard's rules and the held marketing email, without a database."""

from datetime import UTC, datetime

from notifier.domain.consent import Protection
from notifier.domain.delivery import Delivery, Known, SendNow, next_move
from notifier.domain.reputation import Tally, Thresholds, pause_reason, per_stream

T = Thresholds(complaint_rate=0.003, bounce_rate=0.05, min_sent=200)


def test_rates_per_stream_sum_their_templates():
    tallies = [Tally("marketing", "win_back_offer", 300, 3, 1, 0), Tally("marketing", "news", 100, 1, 0, 2)]
    (marketing,) = per_stream(tallies)
    assert (marketing.template, marketing.sent, marketing.hard_bounces, marketing.complaints) == ("all", 400, 4, 2)
    assert marketing.bounce_rate == 0.01 and marketing.complaint_rate == 0.005


def test_marketing_pauses_at_either_threshold_past_the_minimum_volume_and_never_for_transactional():
    assert pause_reason([Tally("marketing", "w", 1000, 0, 0, 3)], T).startswith("complaint rate 0.30%")
    assert pause_reason([Tally("marketing", "w", 1000, 0, 0, 2)], T) is None
    assert pause_reason([Tally("marketing", "w", 1000, 50, 0, 0)], T).startswith("bounce rate 5.00%")
    assert pause_reason([Tally("marketing", "w", 1000, 0, 400, 0)], T) is None, "soft bounces are not the list's"
    assert pause_reason([Tally("marketing", "w", 3, 0, 0, 1)], T) is None, "three emails and a complaint"
    assert pause_reason([Tally("transactional", "c", 1000, 500, 0, 100)], T) is None


def test_a_paused_stream_holds_marketing_and_lets_transactional_go():
    now = datetime(2026, 12, 2, 12, tzinfo=UTC)
    values = dict(
        command_id="c",
        journey_id="j",
        subscription_id="s",
        customer_id="c",
        step="s",
        attempt=1,
        message="win_back_offer",
        channel="email",
        category="marketing",
        segment="b2c",
        marketing_consent=True,
        recipient={"email": "a@x.org", "timezone": "UTC"},
        recipient_hash="h",
        facts={},
        status="sending",
    )
    paused = Known({}, {}, {}, marketing_paused="complaint rate 0.40% of 500 marketing emails")
    held = next_move(
        Delivery(id=1, **values), paused, category_of=lambda _: "marketing", now=now, protection=Protection()
    )
    assert (held.result, held.not_before) == ("deferred", datetime(2026, 12, 2, 13, tzinfo=UTC))
    assert "complaint rate" in held.reason
    transactional = Delivery(id=2, **(values | {"category": "transactional", "message": "cancellation_confirmation"}))
    assert next_move(
        transactional, paused, category_of=lambda _: "transactional", now=now, protection=Protection()
    ) == SendNow(marketing=False)
