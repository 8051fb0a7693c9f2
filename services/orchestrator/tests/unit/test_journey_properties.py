"""Properties that hold whatever happens to a journey, in any order: checked on random histories."""

import itertools
from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.domain.effects import Dispatch
from orchestrator.domain.journey import TERMINAL, InvalidTransition

from .journeys import T0, policy, start

POLICY = policy(max_attempts=3, step_timeout=timedelta(minutes=20))
STEPS = [
    "confirmation",
    "exit_survey",
    "exit_survey_invitation",
    "thanks",
    "support_follow_up",
    "welcome_back",
    "win_back_offer",
    "access_ended",
    "account_manager_handoff",
    "payment_update",
    "unreachable_hand_over",
]

action = st.one_of(
    st.tuples(st.just("timer")),
    st.tuples(
        st.just("result"),
        st.sampled_from(STEPS),
        st.booleans(),
        st.sampled_from(["succeeded", "failed", "skipped", "deferred"]),
        st.booleans(),
    ),
    st.tuples(st.just("answer"), st.integers(0, 10), st.sampled_from(["too_expensive", "poor_support"])),
    st.tuples(st.just("reactivate"), st.integers(-5, 5)),
    st.tuples(st.just("unreachable"), st.sampled_from(STEPS), st.sampled_from(["hard", "complaint"])),
    st.tuples(
        st.just("operator"),
        st.sampled_from(["pause", "resume", "cancel", "retry", "skip", "erase"]),
        st.sampled_from(STEPS),
    ),
)


def apply(journey, act, now):
    kind = act[0]
    try:
        if kind == "timer":
            journey.timer_due(now, POLICY)
        elif kind == "result":
            _, step, current, outcome, retryable = act
            if step in {s.name for s in journey.steps}:
                command_id = journey.step(step).command_id if current else "stale"
                journey.step_result(
                    step_name=step,
                    command_id=command_id or "none",
                    outcome=outcome,
                    retryable=retryable,
                    not_before=now + timedelta(hours=3),
                    now=now,
                    policy=POLICY,
                    reason="r",
                )
        elif kind == "answer":
            journey.survey_answered({"score": act[1], "reason": act[2], "may_contact": True}, now, POLICY)
        elif kind == "reactivate":
            journey.reactivated(T0 + timedelta(hours=act[1]), now, POLICY)
        elif kind == "unreachable":
            _, step, feedback = act
            journey.email_unreachable(
                step_name=step, kind=feedback, reason_code="5.1.1", occurred_at=now, now=now, policy=POLICY
            )
        else:
            _, op, step = act
            calls = {
                "pause": lambda: journey.pause(now, by="op", reason="r"),
                "resume": lambda: journey.resume(now, POLICY, by="op", reason="r"),
                "cancel": lambda: journey.cancel(now, by="op", reason="r"),
                "retry": lambda: journey.retry_step(step, now, POLICY, by="op", reason="r"),
                "skip": lambda: journey.skip_step(step, now, POLICY, by="op", reason="r"),
                "erase": lambda: journey.erase_personal_data(now, by="op", reason="r"),
            }
            calls[op]()
    except (InvalidTransition, KeyError):
        pass


@settings(max_examples=300, deadline=None)
@given(
    segment=st.sampled_from(["b2c", "b2b"]),
    initiated_by=st.sampled_from(["customer", "payment_failure"]),
    consent=st.booleans(),
    history=st.lists(action, max_size=40),
    gaps=st.lists(st.integers(0, 60 * 24 * 40), min_size=40, max_size=40),
)
def test_invariants_hold_for_any_history(segment, initiated_by, consent, history, gaps):
    journey = start(
        segment=segment, initiated_by=initiated_by, consent=consent, effective=timedelta(days=10), pol=POLICY
    )
    now = T0
    for act, gap in zip(history, gaps, strict=False):
        now += timedelta(minutes=gap)
        before = len(journey.effects)
        status_before = journey.status
        apply(journey, act, now)
        new = [e for e in journey.effects[before:] if isinstance(e, Dispatch)]
        if status_before in ("cancelled", "completed", "failed") and act[0] != "operator":
            assert all(d.step == "welcome_back" for d in new), "a stopped journey only sends the welcome-back"
        check(journey)


def check(journey):
    assert journey.status in ("active", "paused", "completed", "cancelled", "failed")
    names = [s.name for s in journey.steps]
    assert len(names) == len(set(names)), "welcome_back and the unreachable hand-over added at most once"
    for step in journey.steps:
        assert 0 <= step.attempts <= POLICY.max_attempts
        assert (step.status in ("scheduled", "in_progress")) == (step.due_at is not None)
        if step.status in TERMINAL:
            assert step.completed_at is not None
    if journey.status in ("completed", "failed"):
        assert all(s.status in TERMINAL for s in journey.steps)
        assert journey.ended_at is not None
    if journey.status == "completed":
        assert not any(s.status == "failed" for s in journey.steps)
    if journey.status == "cancelled":
        assert all(s.status in TERMINAL or s.name == "welcome_back" for s in journey.steps)
    # Every dispatch of a step is its next attempt (or the same one after a deferral, which is not counted).
    seen: dict[str, list[int]] = {}
    for effect in journey.effects:
        if isinstance(effect, Dispatch):
            seen.setdefault(effect.step, []).append(effect.attempt)
    for step, attempts in seen.items():
        for previous, current in itertools.pairwise(attempts):
            # the next attempt; the same one again after a deferral (not counted); 1 after an operator's retry
            assert current in (previous + 1, previous, 1), f"{step}: {attempts}"
