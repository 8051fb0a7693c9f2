"""The journey state machine: every status transition, every template, retries, timers, answers, operators."""

from datetime import timedelta

import pytest

from orchestrator.domain.effects import EraseEverywhere, JourneyEvent, Note
from orchestrator.domain.journey import InvalidTransition

from .journeys import T0, cid, dispatched, failed_journey, policy, respond, start, statuses, succeed_everything

H = timedelta(hours=1)
POLICY = policy()


def events(journey) -> list[str]:
    return [e.kind for e in journey.effects if isinstance(e, JourneyEvent)]


# ----- starting each template ---------------------------------------------------------------------


def test_b2c_journey_starts_with_the_confirmation_dispatched_at_once():
    journey = start()
    assert journey.template == "b2c-voluntary" and journey.template_version == 1 and journey.status == "active"
    assert "started" in events(journey)
    assert dispatched(journey) == [("confirmation", 1)]
    s = statuses(journey)
    assert s["confirmation"] == "in_progress"
    assert s["exit_survey"] == s["thanks"] == s["access_ended"] == "scheduled"
    assert s["exit_survey_invitation"] == s["support_follow_up"] == "pending"
    assert s["win_back_offer"] == "skipped", "no marketing consent: decided at start"
    assert journey.step("access_ending_reminder").due_at == T0 + timedelta(days=27)
    assert journey.step("erase_personal_data").due_at == T0 + timedelta(days=60, hours=1)


def test_b2b_journey_hands_off_to_the_account_manager_at_once():
    journey = start(segment="b2b", consent=True)
    assert journey.template == "b2b-voluntary"
    assert sorted(dispatched(journey)) == [("account_manager_handoff", 1), ("confirmation", 1)]
    assert statuses(journey)["win_back_offer"] == "scheduled", "consent given: waits for its moment"


def test_involuntary_journey_offers_the_payment_update_path():
    journey = start(initiated_by="payment_failure")
    assert journey.template == "involuntary"
    assert dispatched(journey) == [("confirmation", 1)]
    journey.timer_due(T0 + H, POLICY)
    assert dispatched(journey) == [("payment_update", 1)]


def test_merchant_cancellation_gets_no_exit_survey():
    journey = start(initiated_by="merchant")
    assert statuses(journey)["exit_survey"] == "skipped"


def test_a_moment_already_passed_is_skipped_or_run_as_the_template_says():
    journey = start(effective=timedelta(days=1))  # the 3-days-before reminder is already past
    s = statuses(journey)
    assert s["access_ending_reminder"] == "skipped"
    late = start(effective=-timedelta(days=2))  # access already ended: the notice still goes, an hour later
    assert statuses(late)["access_ending_reminder"] == "skipped"
    assert ("access_ended", 1) not in dispatched(late), "not in the same minute as the confirmation"
    assert late.step("access_ended").due_at == T0 + H
    late.timer_due(T0 + H, POLICY)
    assert ("access_ended", 1) in dispatched(late)


# ----- timers and results -------------------------------------------------------------------------


def test_timer_runs_due_steps_and_nothing_early():
    journey = start()
    dispatched(journey)
    journey.step_result(
        step_name="confirmation", command_id=cid(journey, "confirmation"), outcome="succeeded", now=T0, policy=POLICY
    )
    journey.timer_due(T0 + timedelta(minutes=59), POLICY)
    assert dispatched(journey) == []
    journey.timer_due(T0 + H, POLICY)
    assert dispatched(journey) == [("exit_survey", 1)]


def test_survey_link_step_triggers_the_invitation_and_the_reminder_waits():
    journey = start()
    journey.timer_due(T0 + H, POLICY)
    dispatched(journey)
    assert respond(journey, "exit_survey", "succeeded", T0 + H, POLICY, data={"survey_url": "https://survey/s/abc"})
    assert journey.step("exit_survey").result == {"survey_url": "https://survey/s/abc"}
    assert dispatched(journey) == [("exit_survey_invitation", 1)]
    assert journey.step("exit_survey_reminder").due_at == T0 + H + timedelta(days=3)


def test_a_repeated_or_stale_result_is_ignored():
    journey = start()
    stale = dict(step_name="confirmation", command_id="an-older-dispatch", outcome="succeeded", now=T0, policy=POLICY)
    assert journey.step_result(**stale) is False
    kw = {**stale, "command_id": cid(journey, "confirmation")}
    assert journey.step_result(**kw) is True
    assert journey.step_result(**kw) is False, "the same result again"
    assert journey.step_result(**{**kw, "step_name": "thanks"}) is False  # not in flight


def test_failures_retry_with_growing_backoff_then_fail_the_step():
    pol = policy(max_attempts=3)
    journey = start(pol=pol)
    now, gaps = T0, []
    for attempt in (1, 2, 3):
        assert dispatched(journey) == [("confirmation", attempt)]
        respond(journey, "confirmation", "failed", now, pol, reason="smtp 451")
        step = journey.step("confirmation")
        if attempt < 3:
            assert step.status == "scheduled" and step.last_error == "smtp 451"
            gaps.append(step.due_at - now)
            now = step.due_at
            journey.timer_due(now, pol)
    assert gaps[1] > gaps[0] > timedelta(0)
    assert journey.step("confirmation").status == "failed"
    assert journey.step("confirmation").attempts == 3
    assert "step_failed" in events(journey)


def test_a_non_retryable_failure_fails_at_once_and_abandons_dependents():
    journey = start()
    journey.timer_due(T0 + H, POLICY)
    dispatched(journey)
    respond(journey, "exit_survey", "failed", T0 + H, POLICY, reason="bad locale", retryable=False)
    s = statuses(journey)
    assert s["exit_survey"] == "failed"
    assert s["exit_survey_invitation"] == s["exit_survey_reminder"] == "skipped"


def test_a_step_without_result_times_out_and_is_retried():
    pol = policy(step_timeout=timedelta(minutes=10))
    journey = start(pol=pol)
    dispatched(journey)
    journey.timer_due(T0 + timedelta(minutes=11), pol)
    step = journey.step("confirmation")
    assert step.status == "scheduled" and "timeout" in step.last_error
    journey.timer_due(step.due_at, pol)
    assert dispatched(journey) == [("confirmation", 2)]


def test_a_deferred_result_reschedules_without_spending_an_attempt():
    pol = policy(max_attempts=1)
    journey = start(pol=pol)
    dispatched(journey)
    morning = T0 + timedelta(hours=10)
    respond(journey, "confirmation", "deferred", T0, pol, reason="quiet hours", not_before=morning)
    step = journey.step("confirmation")
    assert (step.status, step.due_at, step.attempts) == ("scheduled", morning, 0)
    journey.timer_due(morning, pol)
    assert ("confirmation", 1) in dispatched(journey), "still the first attempt"


def test_a_skipped_result_is_recorded_with_its_reason():
    journey = start()
    respond(journey, "confirmation", "skipped", T0, POLICY, reason="address suppressed")
    assert journey.step("confirmation").status == "skipped"
    assert Note("step_skipped", {"step": "confirmation", "reason": "address suppressed"}) in journey.effects


def test_a_journey_runs_to_completion_and_erases_personal_data():
    journey = start(effective=timedelta(days=2))
    succeed_everything(journey, T0 + timedelta(days=40), POLICY)
    assert journey.status == "completed"
    assert all(s.status in ("succeeded", "skipped") for s in journey.steps)
    assert statuses(journey)["support_follow_up"] == "skipped", "never triggered: no answer"
    assert journey.erased_at is not None and journey.facts["customer"]["email"] is None
    assert any(isinstance(e, EraseEverywhere) for e in journey.effects)
    assert events(journey)[-1] == "completed"


def test_erasure_waits_for_the_deletion_notice_in_flight_then_erases():
    journey = start(effective=timedelta(days=1))
    succeed_everything(journey, T0 + timedelta(days=30), POLICY)
    dispatched(journey)
    late = T0 + timedelta(days=31, hours=2)  # the timer was down: the notice and the erasure are both due
    journey.timer_due(late, POLICY)
    assert dispatched(journey) == [("data_deletion_notice", 1)]
    assert journey.facts["customer"]["email"] == "ada@example.com", "the notice still needs the address"
    assert journey.step("erase_personal_data").status == "scheduled"
    respond(journey, "data_deletion_notice", "succeeded", late, POLICY)
    journey.timer_due(late + timedelta(minutes=5), POLICY)
    assert journey.erased_at is not None and journey.status == "completed"


def test_erasure_does_not_wait_forever_for_a_stuck_step():
    journey = start(effective=timedelta(days=1))
    succeed_everything(journey, T0 + timedelta(days=30), POLICY)
    now = T0 + timedelta(days=31, hours=2)
    stuck = policy(step_timeout=timedelta(days=9))  # the notice never gets its result
    journey.timer_due(now, stuck)
    while journey.erased_at is None:
        now += timedelta(minutes=5)
        journey.timer_due(now, stuck)
    assert now <= T0 + timedelta(days=32, hours=1, minutes=5), "a day after the erasure was due, at the latest"
    assert journey.step("data_deletion_notice").status == "cancelled"


@pytest.mark.parametrize("ago", [timedelta(days=37), timedelta(days=20_000)])
def test_a_cancellation_whose_retention_already_ended_confirms_and_informs_before_it_erases(ago):
    journey = start(effective=-ago)
    first = dispatched(journey)
    assert first[0] == ("confirmation", 1), "the customer hears first what happened"
    assert not {"access_ended", "data_deletion_notice"} & {name for name, _ in first}, "not in the same minute"
    respond(journey, "confirmation", "succeeded", T0, POLICY)
    journey.timer_due(T0 + H, POLICY)
    sent = dispatched(journey)
    assert {"access_ended", "data_deletion_notice"} <= {name for name, _ in sent}, "an hour later"
    assert journey.erased_at is None and journey.facts["customer"]["email"] == "ada@example.com"
    assert journey.step("erase_personal_data").status == "scheduled"
    now, pending = T0 + H, first[1:] + sent
    while journey.erased_at is None and now < T0 + 3 * H:  # the steps in flight answer; then the erasure
        for name, _ in pending:
            respond(journey, name, "succeeded", now, POLICY)
        now += timedelta(minutes=5)
        journey.timer_due(now, POLICY)
        pending = dispatched(journey)
    assert journey.erased_at is not None and journey.status == "completed"


def test_erasure_of_a_late_cancellation_still_waits_at_most_a_day():
    stuck = policy(step_timeout=timedelta(days=9))  # no result ever comes
    journey = start(effective=-timedelta(days=37), pol=stuck)
    now = T0
    while journey.erased_at is None:
        now += timedelta(minutes=5)
        journey.timer_due(now, stuck)
    assert T0 + timedelta(hours=23) < now <= T0 + timedelta(days=1, minutes=5)


def test_a_failed_step_makes_the_finished_journey_failed():
    journey = failed_journey(policy(max_attempts=1))
    assert journey.status == "failed"
    assert journey.effects[-1] == Note("failed", {"failed_steps": ["confirmation"]})


# ----- survey answers -----------------------------------------------------------------------------


def answer(journey, score, reason="too_expensive", now=T0):
    return journey.survey_answered({"score": score, "reason": reason, "may_contact": True}, now, POLICY)


def test_an_unhappy_answer_starts_the_support_follow_up_and_withholds_win_back():
    journey = start(consent=True, effective=timedelta(days=1))
    dispatched(journey)
    assert answer(journey, 3) is True
    assert dispatched(journey) == [("support_follow_up", 1)]
    journey.timer_due(T0 + timedelta(days=15), POLICY)
    assert statuses(journey)["win_back_offer"] == "skipped"


def test_a_complaint_reason_counts_as_unhappy_whatever_the_score():
    journey = start(consent=True)
    dispatched(journey)
    answer(journey, 9, reason="poor_support")
    assert dispatched(journey) == [("support_follow_up", 1)]


def test_a_happy_answer_keeps_win_back_and_stops_the_reminder():
    journey = start(consent=True, effective=timedelta(days=1))
    journey.timer_due(T0 + H, POLICY)
    journey.step_result(
        step_name="exit_survey", command_id=cid(journey, "exit_survey"), outcome="succeeded", now=T0 + H, policy=POLICY
    )
    answer(journey, 9)
    assert statuses(journey)["support_follow_up"] == "skipped"
    dispatched(journey)
    journey.timer_due(T0 + timedelta(days=15), POLICY)
    assert ("win_back_offer", 1) in dispatched(journey)
    assert statuses(journey)["exit_survey_reminder"] == "skipped"
    assert answer(journey, 1) is False, "one answer per journey"


# ----- reactivation -------------------------------------------------------------------------------


def test_a_later_reactivation_stops_the_journey_and_welcomes_back_once():
    journey = start()
    dispatched(journey)
    assert journey.reactivated(T0 + H, T0 + 2 * H, POLICY) is True
    assert journey.status == "cancelled" and "cancelled" in events(journey)
    assert dispatched(journey) == [("welcome_back", 1)]
    assert all(s.status == "cancelled" for s in journey.steps if s.name not in ("welcome_back", "win_back_offer"))
    assert journey.reactivated(T0 + 3 * H, T0 + 3 * H, POLICY) is False
    assert [s.name for s in journey.steps].count("welcome_back") == 1
    respond(journey, "welcome_back", "failed", T0 + 3 * H, POLICY, reason="451")
    journey.timer_due(journey.step("welcome_back").due_at, POLICY)
    assert dispatched(journey) == [("welcome_back", 2)], "retried although the journey is cancelled"


def test_a_b2b_customer_whose_email_bounced_is_handed_over_to_the_account_manager_once():
    journey = start(segment="b2b")
    dispatched(journey)
    respond(journey, "confirmation", "succeeded", T0, POLICY)
    handed = journey.email_unreachable(
        step_name="confirmation", kind="hard", reason_code="5.1.1", occurred_at=T0 + H, now=T0 + H, policy=POLICY
    )
    assert handed is True
    assert ("unreachable_hand_over", 1) in dispatched(journey)
    step = journey.step("unreachable_hand_over")
    assert step.spec.channel == "webhook" and step.spec.message == "customer_unreachable"
    unreachable = journey.facts["unreachable"]
    assert unreachable["step"] == "confirmation" and unreachable["reason_code"] == "5.1.1"
    missed = [m["step"] for m in unreachable["missed"]]
    assert missed[0] == "confirmation" and "access_ended" in missed and "data_deletion_notice" in missed
    assert "account_manager_handoff" not in missed, "a webhook step is not an email the customer misses"
    assert "exit_survey" not in missed
    notes = [e for e in journey.effects if isinstance(e, Note) and e.what == "handed_over_to_account_manager"]
    assert notes and notes[0].details["kind"] == "hard"
    again = journey.email_unreachable(
        step_name="thanks", kind="complaint", reason_code="abuse", occurred_at=T0 + H, now=T0 + 2 * H, policy=POLICY
    )
    assert again is False and [s.name for s in journey.steps].count("unreachable_hand_over") == 1


@pytest.mark.parametrize("segment, stop", [("b2c", None), ("b2b", "cancel"), ("b2b", "erase")])
def test_no_hand_over_for_a_consumer_or_a_journey_that_ended(segment, stop):
    journey = start(segment=segment)
    if stop == "cancel":
        journey.cancel(T0, by="op", reason="test")
    elif stop == "erase":
        journey.erase_personal_data(T0, by="op", reason="asked")
    handed = journey.email_unreachable(
        step_name="confirmation", kind="hard", reason_code="5.1.1", occurred_at=T0, now=T0 + H, policy=POLICY
    )
    assert handed is False and "unreachable" not in journey.facts
    assert "unreachable_hand_over" not in statuses(journey)


def test_a_reactivation_known_at_start_sends_only_the_welcome_back():
    journey = start(reactivated_at=T0 + H)
    assert journey.status == "cancelled"
    assert dispatched(journey) == [("welcome_back", 1)], "no cancellation confirmation to a customer who is back"
    assert events(journey) == ["started", "cancelled"]


def test_an_older_reactivation_does_not_stop_the_journey():
    journey = start()
    assert journey.reactivated(T0 - H, T0 + H, POLICY) is False
    assert journey.status == "active"


# ----- operator actions: every allowed transition and the refused ones -------------------------------


def test_pause_and_resume():
    journey = start()
    dispatched(journey)
    journey.pause(T0, by="op", reason="customer asked")
    journey.timer_due(T0 + 5 * H, POLICY)
    assert dispatched(journey) == [], "a paused journey runs nothing"
    journey.resume(T0 + 5 * H, POLICY, by="op", reason="ok")
    assert ("exit_survey", 1) in dispatched(journey), "overdue steps run on resume"


def test_cancel_stops_everything_without_a_welcome_back():
    journey = start()
    journey.cancel(T0, by="op", reason="duplicate account")
    assert journey.status == "cancelled"
    assert all(s.status in ("cancelled", "skipped") for s in journey.steps)
    assert "welcome_back" not in statuses(journey)


def test_retry_a_failed_step_reopens_a_failed_journey():
    pol = policy(max_attempts=1)
    journey = failed_journey(pol)
    journey.erased_at = None  # a template that keeps the data (the shipped ones erase at their end)
    journey.facts["customer"]["email"] = "ada@example.com"
    assert journey.status == "failed"
    dispatched(journey)
    journey.retry_step("confirmation", T0 + timedelta(days=41), pol, by="op", reason="fixed smtp")
    assert journey.status == "active"
    assert dispatched(journey) == [("confirmation", 1)]


def test_a_step_that_would_reach_an_erased_customer_cannot_be_retried():
    pol = policy(max_attempts=1)
    journey = failed_journey(pol)
    with pytest.raises(InvalidTransition, match="erased"):
        journey.retry_step("confirmation", T0 + timedelta(days=41), pol, by="op", reason="fixed smtp")


def test_skip_a_step():
    journey = start()
    journey.skip_step("thanks", T0, POLICY, by="op", reason="not wanted")
    assert statuses(journey)["thanks"] == "skipped"


ACTIONS = {
    "pause": lambda j: j.pause(T0, by="op", reason="r"),
    "resume": lambda j: j.resume(T0, POLICY, by="op", reason="r"),
    "cancel": lambda j: j.cancel(T0, by="op", reason="r"),
    "retry": lambda j: j.retry_step("thanks", T0, POLICY, by="op", reason="r"),
    "skip": lambda j: j.skip_step("thanks", T0, POLICY, by="op", reason="r"),
}
STATES = {
    "active": lambda j: None,
    "paused": lambda j: j.pause(T0, by="op", reason="r"),
    "cancelled": lambda j: j.cancel(T0, by="op", reason="r"),
}
ALLOWED = {
    ("active", "pause"),
    ("active", "cancel"),
    ("active", "skip"),
    ("paused", "resume"),
    ("paused", "cancel"),
    ("paused", "skip"),
}


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", ACTIONS)
def test_every_operator_action_in_every_status(state, action):
    journey = start()
    STATES[state](journey)
    if (state, action) in ALLOWED:
        ACTIONS[action](journey)
    else:
        with pytest.raises(InvalidTransition):
            ACTIONS[action](journey)


def test_completed_journeys_refuse_operator_actions():
    journey = start(effective=timedelta(days=1))
    succeed_everything(journey, T0 + timedelta(days=40), POLICY)
    for action in ("pause", "resume", "cancel", "skip"):
        with pytest.raises(InvalidTransition):
            ACTIONS[action](journey)


def test_erase_stops_an_open_journey_and_forgets_the_customer():
    journey = start()
    journey.facts["account_manager"] = "Grace Hopper"
    journey.erase_personal_data(T0 + H, by="op", reason="data-subject request")
    assert journey.status == "cancelled" and journey.facts["account_manager"] is None
    assert journey.facts["customer"] == {
        "email": None,
        "name": None,
        "company": None,
        "locale": "en",
        "timezone": "Europe/Berlin",
        "segment": "b2c",
    }
    assert any(isinstance(e, EraseEverywhere) for e in journey.effects)
    with pytest.raises(InvalidTransition):
        journey.erase_personal_data(T0 + 2 * H, by="op", reason="again")
