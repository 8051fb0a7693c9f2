"""Builders for the journey unit tests: the shipped templates, a cancellation's facts, a fixed clock."""

import random
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from orchestrator.domain.effects import Dispatch
from orchestrator.domain.journey import Journey
from orchestrator.domain.policy import RetryPolicy
from orchestrator.domain.templates import load_catalogue

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
CATALOGUE = load_catalogue(TEMPLATES)
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def policy(**kwargs) -> RetryPolicy:
    return RetryPolicy(jitter=random.Random(7), **kwargs)


def facts(*, segment="b2c", initiated_by="customer", consent=False, effective=timedelta(days=30)) -> dict:
    return {
        "subscription_id": "sub_1",
        "customer_id": "cus_1",
        "segment": segment,
        "initiated_by": initiated_by,
        "reason": "too_expensive",
        "plan": "pro-monthly",
        "marketing_consent": consent,
        "cancelled_at": T0.isoformat(),
        "effective_at": (T0 + effective).isoformat(),
        "customer": {
            "email": "ada@example.com",
            "name": "Ada",
            "company": None,
            "locale": "en",
            "timezone": "Europe/Berlin",
            "segment": segment,
        },
    }


def start(now=T0, effective=timedelta(days=30), pol=None, reactivated_at=None, **kwargs) -> Journey:
    f = facts(effective=effective, **kwargs)
    template = CATALOGUE.choose({"segment": f["segment"], "initiated_by": f["initiated_by"]})
    return Journey.start(
        journey_id=uuid.uuid4(),
        template=template,
        facts=f,
        cancelled_at=T0,
        effective_at=T0 + effective,
        now=now,
        policy=pol or policy(),
        reactivated_at=reactivated_at,
    )


# id(journey) -> (the journey, effects seen). The journey is held so that its id is never reused by a new
# journey while the entry exists (an id alone was: a later journey then seemed to have dispatched nothing).
_seen: dict[int, tuple[Journey, int]] = {}


def dispatched(journey: Journey) -> list[tuple[str, int]]:
    """The (step, attempt) pairs dispatched since the last call (the journey's effects are kept)."""
    held, count = _seen.get(id(journey), (journey, 0))
    new = journey.effects[count if held is journey else 0 :]
    _seen[id(journey)] = (journey, len(journey.effects))
    return [(e.step, e.attempt) for e in new if isinstance(e, Dispatch)]


def statuses(journey: Journey) -> dict[str, str]:
    return {s.name: s.status for s in journey.steps}


def succeed_everything(journey: Journey, until: datetime, pol: RetryPolicy, step=timedelta(hours=1)) -> datetime:
    """Advance the clock hour by hour to `until`, answering every dispatch with success."""
    now = journey.started_at
    while now <= until:
        journey.timer_due(now, pol)
        while sent := dispatched(journey):  # a success can dispatch dependents at once
            for name, _attempt in sent:
                journey.step_result(
                    step_name=name,
                    command_id=cid(journey, name),
                    outcome="succeeded",
                    now=now,
                    policy=pol,
                    data={"survey_url": "https://s/x"} if name == "exit_survey" else None,
                )
        now += step
    return now


def cid(journey: Journey, step: str) -> str:
    """The id of the command in flight for `step` (what a real result would carry)."""
    return journey.step(step).command_id or "none"


def respond(journey: Journey, step: str, outcome: str, now: datetime, pol: RetryPolicy, **kwargs) -> bool:
    """Answer the command in flight for `step`, as its service would."""
    return journey.step_result(
        step_name=step, command_id=cid(journey, step), outcome=outcome, now=now, policy=pol, **kwargs
    )


def failed_journey(pol: RetryPolicy) -> Journey:
    """An involuntary journey that ran to its end with its confirmation failed for good."""
    journey = start(initiated_by="payment_failure", effective=timedelta(days=1), pol=pol)
    respond(journey, "confirmation", "failed", T0, pol, reason="x")
    succeed_everything(journey, T0 + timedelta(days=40), pol)
    return journey
