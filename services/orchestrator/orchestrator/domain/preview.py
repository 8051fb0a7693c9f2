"""What a journey would do for one cancellation, stored and sent nowhere: the real state machine run on a
simulated clock from `now`, every command succeeding at once, and the exit survey answered an hour after it
was created (with the answer the author gives) or never.

The preview (`POST /v1/previews`, `templates preview`) and the dry-run use it, so what they show is what the
journey does: the same due times, conditions and skips, not a second description of the rules.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from orchestrator.domain.conditions import Condition
from orchestrator.domain.effects import Dispatch, Note
from orchestrator.domain.journey import OPEN_JOURNEY, Journey
from orchestrator.domain.policy import RetryPolicy
from orchestrator.domain.templates import StepSpec, Template, Timing

ANSWERED_AFTER = timedelta(hours=1)  # when the simulated customer answers the exit survey
MAX_ROUNDS = 1_000  # a template has at most a few dozen steps; this only guards against a loop


@dataclass(frozen=True)
class PlannedStep:
    name: str
    kind: str
    due_at: datetime | None
    would: Literal["run", "skip"]
    why: str


# Called when a step's command would go out, with the journey as it is at that moment; answers the result data
# the performing service would send back (the survey service: the survey's link).
OnDispatch = Callable[[Journey, Dispatch], dict[str, Any]]


def simulate(
    template: Template,
    facts: dict[str, Any],
    *,
    journey_id,
    cancelled_at: datetime,
    effective_at: datetime,
    now: datetime,
    policy: RetryPolicy,
    survey: dict[str, Any] | None = None,
    on_dispatch: OnDispatch = lambda _journey, _dispatch: {},
    until: datetime | None = None,
) -> list[PlannedStep]:
    """Each step of `template` as the journey would take it from `now`; with `until`, the journey stops there
    (a past journey that a reactivation or an operator ended)."""
    journey = Journey.start(
        journey_id=journey_id,
        template=template,
        facts=facts,
        cancelled_at=cancelled_at,
        effective_at=effective_at,
        now=now,
        policy=policy,
    )
    ran: dict[str, datetime] = {}
    clock, seen, answer_at = now, 0, None
    for _ in range(MAX_ROUNDS):
        while seen < len(journey.effects):
            effect = journey.effects[seen]
            seen += 1
            if isinstance(effect, Dispatch):
                ran[effect.step] = clock
                data = on_dispatch(journey, effect)
                journey.step_result(
                    step_name=effect.step,
                    command_id=effect.command_id,
                    outcome="succeeded",
                    now=clock,
                    policy=policy,
                    data=data,
                )
                if journey.step(effect.step).spec.kind == "survey" and survey is not None:
                    answer_at = clock + ANSWERED_AFTER
        if journey.status not in OPEN_JOURNEY:
            break
        moments = [t for t in (journey.next_due_at, answer_at) if t is not None]
        if not moments or (until is not None and min(moments) > until):
            break
        clock = min(moments)
        if answer_at is not None and clock >= answer_at:
            answer_at = None
            journey.survey_answered(survey or {}, clock, policy)
        journey.timer_due(clock, policy)
    return [_planned(journey, step.spec, ran, survey, stopped=until is not None) for step in journey.steps]


def _planned(
    journey: Journey, spec: StepSpec, ran: dict[str, datetime], survey: dict | None, *, stopped: bool
) -> PlannedStep:
    step = journey.step(spec.name)
    if step.status == "succeeded":
        why = _when(spec.at) + (f"; condition holds: {_condition(spec.when, journey)}" if spec.when else "")
        return PlannedStep(spec.name, spec.kind, ran.get(spec.name, step.completed_at), "run", why)
    reason = _skip_reason(journey, spec.name)
    if reason == "condition not met" and spec.when is not None:
        reason = f"condition not met: {_condition(spec.when, journey)}"
    elif reason is None and stopped:
        reason = "the journey stopped before it was due"
    elif spec.at.anchor == "survey_answered" and survey is None:
        reason = "runs only when the exit survey is answered; this preview assumes no answer"
    return PlannedStep(spec.name, spec.kind, None, "skip", reason or f"never due ({step.status})")


def _when(at: Timing) -> str:
    offset = _duration(at.offset)
    if at.anchor == "start":
        return "at the start" if not at.offset else f"{offset} after the start"
    if at.anchor == "effective_at":
        if not at.offset:
            return "when access ends (effective_at)"
        side = "before" if at.offset < timedelta(0) else "after"
        return f"{offset} {side} access ends (effective_at)"
    if at.anchor == "step":
        return f"when step {at.step} succeeded" + (f", {offset} later" if at.offset else "")
    return "when the exit survey is answered" + (f", {offset} later" if at.offset else "")


def _duration(offset: timedelta) -> str:
    """3 days, 30 days 1 hour, 90 minutes..."""
    seconds, parts = abs(int(offset.total_seconds())), []
    for unit, size in (("day", 86_400), ("hour", 3_600), ("minute", 60), ("second", 1)):
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {unit}{'s' if count != 1 else ''}")
    return " ".join(parts) or "0 seconds"


def _condition(condition: Condition | None, journey: Journey) -> str:
    """The condition as written, and the value of each fact it reads."""
    if condition is None:
        return "none"
    facts = journey.condition_facts()
    used = sorted(condition.facts())
    values = ", ".join(f"{fact}={_value(facts.get(fact))}" for fact in used)
    written = json.dumps(_plain(condition.model_dump(by_alias=True, exclude_none=True)), ensure_ascii=False)
    return f"{written} with {values}"


def _plain(value: Any) -> Any:
    """6.0 as 6, as the author wrote it."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _value(value: Any) -> str:
    return "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def _skip_reason(journey: Journey, step: str) -> str | None:
    for effect in journey.effects:
        if isinstance(effect, Note) and effect.what == "step_skipped" and effect.details.get("step") == step:
            return effect.details.get("reason")
    return None
