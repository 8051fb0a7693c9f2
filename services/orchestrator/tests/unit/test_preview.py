"""The preview's simulation: the real journey on a simulated clock gives each step's due time, run or skip,
and why, for the three shipped journeys; the survey answer the author assumes changes the plan."""

import uuid
from datetime import timedelta

from orchestrator.domain.preview import simulate

from .journeys import CATALOGUE, T0, facts, policy

HOUR, DAY = timedelta(hours=1), timedelta(days=1)


def plan(*, template=None, survey=None, effective=timedelta(days=30), now=T0, on_dispatch=None, **kwargs):
    f = facts(effective=effective, **kwargs)
    chosen = CATALOGUE.latest(template) if template else CATALOGUE.choose(f)
    extra = {"on_dispatch": on_dispatch} if on_dispatch else {}
    steps = simulate(
        chosen,
        f,
        journey_id=uuid.uuid4(),
        cancelled_at=T0,
        effective_at=T0 + effective,
        now=now,
        policy=policy(),
        survey=survey,
        **extra,
    )
    return {s.name: s for s in steps}


def test_a_consumer_who_never_answers_the_survey():
    steps = plan(consent=True)
    end = T0 + 30 * DAY
    assert {name: (s.would, s.due_at) for name, s in steps.items()} == {
        "confirmation": ("run", T0),
        "exit_survey": ("run", T0 + HOUR),
        "exit_survey_invitation": ("run", T0 + HOUR),
        "exit_survey_reminder": ("run", T0 + HOUR + 3 * DAY),
        "thanks": ("run", T0 + 2 * HOUR),
        "data_export_help": ("run", T0 + DAY),
        "access_ending_reminder": ("run", end - 3 * DAY),
        "access_ended": ("run", end),
        "support_follow_up": ("skip", None),
        "win_back_offer": ("run", end + 14 * DAY),
        "data_deletion_notice": ("run", end + 30 * DAY),
        "erase_personal_data": ("run", end + 30 * DAY + HOUR),
    }
    assert steps["access_ending_reminder"].why == "3 days before access ends (effective_at)"
    assert steps["erase_personal_data"].why == "30 days 1 hour after access ends (effective_at)"
    assert (
        steps["support_follow_up"].why == "runs only when the exit survey is answered; this preview assumes no answer"
    )
    assert steps["win_back_offer"].why.endswith("with marketing_consent=true, survey.reason=null, survey.score=null")


def test_an_unhappy_answer_brings_the_follow_up_and_holds_back_the_offer():
    steps = plan(consent=True, survey={"score": 3, "reason": "poor_support", "may_contact": True})
    assert steps["support_follow_up"].would == "run" and steps["support_follow_up"].due_at == T0 + 2 * HOUR
    assert steps["win_back_offer"].would == "skip"
    assert steps["win_back_offer"].why.startswith(
        'condition not met: {"all": [{"fact": "marketing_consent", "equals": true}'
    )
    assert steps["exit_survey_reminder"].why.endswith("with survey.answered=true")


def test_a_merchant_cancellation_gets_no_survey():
    steps = plan(initiated_by="merchant")
    assert steps["exit_survey"].would == "skip"
    assert (
        steps["exit_survey"].why
        == 'condition not met: {"fact": "initiated_by", "not_equals": "merchant"} with initiated_by=merchant'
    )
    assert steps["exit_survey_invitation"].why == "step exit_survey did not succeed"


def test_a_cancellation_whose_access_already_ended():
    steps = plan(effective=timedelta(0), now=T0 + 2 * DAY)
    assert steps["access_ending_reminder"].would == "skip"
    assert steps["access_ending_reminder"].why == "its moment had passed when the journey started"
    # Not in the same minute as the confirmation: an hour after the start.
    assert steps["access_ended"].would == "run" and steps["access_ended"].due_at == T0 + 2 * DAY + timedelta(hours=1)


def test_a_failed_payment_and_a_business():
    involuntary = plan(initiated_by="payment_failure")
    assert involuntary["payment_update"].would == "run" and "exit_survey" not in involuntary
    business = plan(segment="b2b")
    assert business["account_manager_handoff"].would == "run" and business["account_manager_handoff"].due_at == T0


def test_each_command_is_built_when_it_would_go_out():
    """The survey's link reaches the invitation; the customer's data is still there (the erase step comes last)."""
    seen = []

    def on_dispatch(journey, dispatch):
        seen.append((dispatch.step, bool(journey.facts.get("customer"))))
        return {"survey_url": "https://s.example/s/x"} if dispatch.step == "exit_survey" else {}

    plan(on_dispatch=on_dispatch)
    assert seen[0] == ("confirmation", True) and all(has_data for _, has_data in seen)
    assert [step for step, _ in seen].count("exit_survey_invitation") == 1
