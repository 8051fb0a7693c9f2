"""The reputation guard's rules, without a database."""

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
