"""The pure send decision and the batch split, without a database or a mail server."""

from datetime import UTC, datetime, timedelta

from notifier.domain.consent import Protection
from notifier.domain.delivery import Delivery, Known, Outcome, SendNow, next_move, one_per_customer_step

NOON_BERLIN = datetime(2026, 11, 26, 11, 0, tzinfo=UTC)
NOTHING_KNOWN = Known({}, {}, {})


def delivery(id=1, *, journey="j1", step="confirmation", category="transactional", consent=False, **changes):
    values = dict(
        id=id,
        command_id=f"c{id}",
        journey_id=journey,
        subscription_id="sub_1",
        customer_id="cus_1",
        step=step,
        attempt=1,
        message="cancellation_confirmation",
        channel="email",
        category=category,
        segment="b2c",
        marketing_consent=consent,
        recipient={"email": "ada@example.com", "timezone": "Europe/Berlin"},
        recipient_hash="h1",
        facts={},
        status="sending",
    )
    return Delivery(**(values | changes))


def move(d, known=NOTHING_KNOWN, *, tag="transactional", now=NOON_BERLIN):
    return next_move(d, known, category_of=lambda _: tag, now=now, protection=Protection())


def test_a_transactional_message_goes_now():
    assert move(delivery()) == SendNow(marketing=False)


def test_an_erased_recipient_fails_for_good():
    outcome = move(delivery(recipient=None))
    assert (outcome.status, outcome.result, outcome.retryable) == ("erased", "failed", False)


def test_a_step_already_sent_by_another_command_is_answered_without_sending():
    earlier = delivery(id=7, status="sent", provider_message_id="<c7@x>")
    outcome = move(delivery(id=8), Known({("j1", "confirmation"): earlier}, {}, {}))
    assert isinstance(outcome, Outcome)
    assert (outcome.status, outcome.result, outcome.provider_message_id) == ("duplicate", "succeeded", "<c7@x>")
    assert move(earlier, Known({("j1", "confirmation"): earlier}, {}, {})) == SendNow(marketing=False)


def test_the_message_files_marketing_tag_wins_over_the_commands_transactional_one():
    assert move(delivery(), tag="marketing").result == "skipped", "no consent"
    assert move(delivery(consent=True), tag="marketing") == SendNow(marketing=True)


def test_marketing_respects_suppression_the_cap_and_quiet_hours():
    offer = delivery(category="marketing", consent=True)
    assert move(offer, Known({}, {"h1": "marketing"}, {})).result == "skipped"
    assert move(offer, Known({}, {}, {"h1": NOON_BERLIN - timedelta(days=1)})).result == "skipped"
    night = datetime(2026, 11, 26, 22, 30, tzinfo=UTC)  # 23:30 in Berlin
    deferred = move(offer, now=night)
    assert deferred.result == "deferred" and deferred.not_before > night


def test_an_address_that_bounced_or_complained_gets_nothing_more_but_an_unsubscribe_stops_only_marketing():
    bounced = Known({}, {"h1": "all"}, {})
    for d in (delivery(), delivery(category="marketing", consent=True)):
        outcome = move(d, bounced)
        assert (outcome.status, outcome.result, outcome.reason, outcome.retryable) == (
            "skipped",
            "skipped",
            "address_unreachable",
            False,
        )
    assert move(delivery(), Known({}, {"h1": "marketing"}, {})) == SendNow(marketing=False), "transactional goes"
    hand_off = delivery(channel="webhook", recipient={"email": "ada@example.com"})
    assert move(hand_off, bounced) == SendNow(marketing=False), "the account manager's hand-off is not to the address"


def test_a_webhook_is_never_asked_for_a_message_files_tag():
    def no_template(_):
        raise AssertionError("webhooks have no message file")

    hook = delivery(channel="webhook", message="support_follow_up")
    assert next_move(hook, NOTHING_KNOWN, category_of=no_template, now=NOON_BERLIN, protection=Protection()) == SendNow(
        marketing=False
    )


def test_a_batch_never_sends_one_step_twice_nor_two_offers_to_one_address_at_once():
    first, retry = delivery(1), delivery(2)
    offer_a = delivery(3, journey="j2", step="win_back", category="marketing")
    offer_b = delivery(4, journey="j3", step="win_back", category="marketing")
    other = delivery(5, journey="j4", recipient_hash="h2")
    now, later = one_per_customer_step([first, retry, offer_a, offer_b, other])
    assert [d.id for d in now] == [1, 3, 5] and [d.id for d in later] == [2, 4]


def test_while_marketing_is_paused_it_is_held_and_transactional_goes():
    paused = Known({}, {}, {}, marketing_paused="complaint rate 0.40% of 500 marketing emails")
    held = move(delivery(category="marketing", consent=True), paused, tag="marketing")
    assert (held.result, held.not_before) == ("deferred", NOON_BERLIN + timedelta(hours=1))
    assert "complaint rate" in held.reason
    assert move(delivery(), paused) == SendNow(marketing=False)
