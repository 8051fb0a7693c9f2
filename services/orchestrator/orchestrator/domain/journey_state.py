"""A journey's state and the rules that move it: its steps, when each is scheduled and run, how an attempt
ends, when the journey ends, and what erasure leaves. `journey.py` holds what can happen to a journey (its
start, facts arriving, operator actions); this holds how it then moves. No I/O.
"""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from orchestrator.domain.effects import Dispatch, Effect, EraseEverywhere, JourneyEvent, Note
from orchestrator.domain.policy import RetryPolicy
from orchestrator.domain.templates import HELP_HAND_OVER, HELP_RECEIVED, RESERVED_PREFIXES, StepSpec, Timing

JourneyStatus = Literal["active", "paused", "completed", "cancelled", "failed"]
StepStatus = Literal["pending", "scheduled", "in_progress", "succeeded", "failed", "skipped", "cancelled"]
Outcome = Literal["succeeded", "failed", "skipped", "deferred"]

TERMINAL: frozenset[str] = frozenset({"succeeded", "failed", "skipped", "cancelled"})
OPEN_JOURNEY: frozenset[str] = frozenset({"active", "paused"})
SURVEY_FACTS = frozenset({"survey.answered", "survey.score", "survey.reason", "survey.may_contact"})

# A step anchored on effective_at whose moment had passed when the journey started (access already ended, the
# retention already over: a late event, an immediate cancellation) runs this long after the start, never in the
# same minute as the confirmation: "your access has ended" and "we are deleting your data" do not arrive with
# "we confirm your cancellation".
PAST_DUE_DELAY = timedelta(hours=1)
# The erase step waits for steps still in flight, looking again every ERASE_WAIT, at most ERASE_MAX_WAIT.
ERASE_WAIT = timedelta(minutes=5)
ERASE_MAX_WAIT = timedelta(days=1)

# Sent once when a reactivation stops a journey; it runs although the journey is cancelled.
WELCOME_BACK = StepSpec(name="welcome_back", kind="notify", message="welcome_back", at=Timing())
# Sent once when a b2b customer's email bounced for good or drew a complaint: the account manager (the company's
# CRM, through the webhook channel) hears what the customer did not and will not receive, and takes over.
UNREACHABLE_HAND_OVER = StepSpec(
    name="unreachable_hand_over", kind="notify", channel="webhook", message="customer_unreachable", at=Timing()
)

# Sent for each help request from the customer's page (at most MAX_HELP_ANSWERS per journey, numbered): an email
# saying it arrived, and for b2b the hand-over to the company's helpdesk (webhook) with what the customer wrote.
MAX_HELP_ANSWERS = 5


def help_steps(n: int, segment: str) -> list[StepSpec]:
    received = StepSpec(name=f"{HELP_RECEIVED}{n}", kind="notify", message="help_received", at=Timing())
    hand_over = StepSpec(
        name=f"{HELP_HAND_OVER}{n}", kind="notify", channel="webhook", message="customer_asked_for_help", at=Timing()
    )
    return [received, hand_over] if segment == "b2b" else [received]


def answers_the_customer(step: "Step") -> bool:
    """Steps that answer something the customer did (came back, asked for help): they run whatever the journey's
    status, also after it ended or while support has it paused."""
    return step.name == WELCOME_BACK.name or step.name.startswith(RESERVED_PREFIXES)


class InvalidTransition(Exception):
    """An action that the journey's or step's current status does not allow (HTTP 409)."""


@dataclass
class Step:
    spec: StepSpec
    status: StepStatus = "pending"
    due_at: datetime | None = None
    attempts: int = 0
    last_error: str | None = None
    completed_at: datetime | None = None
    dispatched_at: datetime | None = None
    # The id of the command in flight: a result counts only if it answers exactly this dispatch.
    command_id: str | None = None
    result: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def open(self) -> bool:
        return self.status not in TERMINAL


@dataclass
class JourneyState:
    id: uuid.UUID
    subscription_id: str
    customer_id: str
    template: str
    template_version: int
    segment: str
    initiated_by: str
    status: JourneyStatus
    started_at: datetime
    updated_at: datetime
    cancelled_at: datetime
    effective_at: datetime
    facts: dict[str, Any]  # the cancellation's fields; `customer` holds the personal data
    steps: list[Step]
    survey: dict[str, Any] | None = None
    variant: str | None = None  # the template's experiment variant this journey got (None: no experiment)
    experiment: str | None = None  # the experiment whose split chose the variant (None also once it has a winner)
    ended_at: datetime | None = None
    erased_at: datetime | None = None
    effects: list[Effect] = field(default_factory=list)

    # ----- derived --------------------------------------------------------------------------------

    @property
    def next_due_at(self) -> datetime | None:
        """When the timer must next look at this journey (None: nothing waits on time)."""
        dues = [s.due_at for s in self.steps if s.status in ("scheduled", "in_progress") and s.due_at is not None]
        return min(dues) if dues else None

    def condition_facts(self) -> dict[str, Any]:
        facts = {k: self.facts.get(k) for k in ("segment", "initiated_by", "reason", "plan", "marketing_consent")}
        customer = self.facts.get("customer") or {}
        facts |= {"locale": customer.get("locale"), "timezone": customer.get("timezone")}
        survey = self.survey or {}
        facts |= {
            "survey.answered": self.survey is not None,
            "survey.score": survey.get("score"),
            "survey.reason": survey.get("reason"),
            "survey.may_contact": survey.get("may_contact"),
        }
        return facts

    def step(self, name: str) -> Step:
        return self._step(name)

    # ----- the machinery --------------------------------------------------------------------------

    def _anchor_time(self, timing: Timing) -> datetime:
        base = self.effective_at if timing.anchor == "effective_at" else self.started_at
        try:
            return base + timing.offset
        except OverflowError:  # a template offset beyond year 9999: never, rather than a crash
            return (
                datetime.max.replace(tzinfo=base.tzinfo)
                if timing.offset.days > 0
                else datetime.min.replace(tzinfo=base.tzinfo)
            )

    def _condition(self, step: Step, *, final: bool) -> bool | None:
        """The step's condition now. Before the journey runs a step, survey facts count as unknown."""
        if step.spec.when is None:
            return True
        facts = self.condition_facts()
        known = set(facts) if final or self.survey is not None else set(facts) - SURVEY_FACTS
        return step.spec.when.evaluate(facts, known)

    def _schedule(self, step: Step, due: datetime, now: datetime, *, at_start: bool = False) -> None:
        if self._condition(step, final=False) is False:
            self._skip(step, "condition not met", now)
            return
        if at_start and due < now and step.spec.at.if_past == "skip":
            self._skip(step, "its moment had passed when the journey started", now)
            return
        if at_start and due <= now and step.spec.at.anchor == "effective_at":
            due = now + PAST_DUE_DELAY
        step.status, step.due_at = "scheduled", max(due, now)

    def _trigger(self, anchor: str, now: datetime, anchor_step: str | None = None) -> None:
        """Schedule the pending steps waiting for `anchor` (a step's success or the survey answer)."""
        for step in self.steps:
            at = step.spec.at
            if step.status == "pending" and at.anchor == anchor and (anchor_step is None or at.step == anchor_step):
                self._schedule(step, now + at.offset, now)

    def _advance(self, now: datetime, policy: RetryPolicy) -> None:
        """Run every due step, then end the journey if nothing is left to do."""
        while True:
            due = [
                s
                for s in self.steps
                if s.status == "scheduled"
                and s.due_at is not None
                and s.due_at <= now
                and (self.status == "active" or answers_the_customer(s))
            ]
            if not due:
                break
            for step in due:
                self._run(step, now, policy)
        self._maybe_finish(now)

    def _run(self, step: Step, now: datetime, policy: RetryPolicy) -> None:
        if self._condition(step, final=True) is False:
            self._skip(step, "condition not met", now)
            return
        if self.erased_at is not None and step.spec.kind in ("notify", "survey"):
            self._skip(step, "the customer's personal data is erased", now)
            return
        if step.spec.kind == "wait":
            self._finish_step(step, "succeeded", now)
            self._trigger("step", now, anchor_step=step.name)
        elif step.spec.kind == "erase":
            busy = [
                s
                for s in self.steps
                if (s is not step and s.status == "in_progress")
                or (s.status == "scheduled" and s.due_at is not None and s.due_at <= now and s is not step)
            ]
            # A cancellation that arrives after its retention ended still confirms and informs first: the
            # wait counts from the journey's start then, not from a moment long past.
            waiting_since = max(self._anchor_time(step.spec.at), self.started_at)
            if busy and now < waiting_since + ERASE_MAX_WAIT:
                # Let the steps in flight (the deletion notice) finish with the data they need, then erase.
                step.due_at = now + ERASE_WAIT
                self._record(Note("erasure_postponed", {"waiting_for": [s.name for s in busy]}))
                return
            # Nothing can reach the customer once the data is gone: what is still open ends here.
            for other in self.steps:
                if other is not step and other.status == "pending":
                    self._skip(other, "never triggered before the personal data was erased", now)
                elif other is not step and other.open:
                    other.status, other.completed_at, other.due_at = "cancelled", now, None
            self._finish_step(step, "succeeded", now)
            if self.erased_at is None:
                self._erase(now, {"step": step.name})
        else:
            step.status, step.attempts, step.dispatched_at = "in_progress", step.attempts + 1, now
            step.due_at, step.command_id = now + policy.step_timeout, str(uuid.uuid4())
            self._record(
                Dispatch(step.name, step.attempts, step.command_id),
                Note("step_dispatched", {"step": step.name, "attempt": step.attempts}),
            )
        self._touch(now)

    def _attempt_failed(self, step: Step, reason: str, *, retryable: bool, now: datetime, policy: RetryPolicy) -> None:
        step.last_error = reason[:500]
        if retryable and step.attempts < policy.max_attempts:
            step.status, step.due_at = "scheduled", now + policy.delay(step.attempts)
            self._record(
                Note(
                    "step_retry_scheduled",
                    {
                        "step": step.name,
                        "attempt": step.attempts,
                        "error": step.last_error,
                        "due_at": step.due_at.isoformat(),
                    },
                )
            )
            self._touch(now)
            return
        self._finish_step(step, "failed", now)
        self._record(
            JourneyEvent("step_failed", {"step": step.name, "attempts": step.attempts, "error": step.last_error})
        )
        self._abandon_dependents(step, now)

    def _skip(self, step: Step, reason: str, now: datetime) -> None:
        step.last_error = None
        self._finish_step(step, "skipped", now, reason=reason)
        self._abandon_dependents(step, now)

    def _abandon_dependents(self, step: Step, now: datetime) -> None:
        for other in self.steps:
            if other.status == "pending" and other.spec.at.anchor == "step" and other.spec.at.step == step.name:
                self._skip(other, f"step {step.name} did not succeed", now)

    def _finish_step(self, step: Step, status: StepStatus, now: datetime, *, reason: str | None = None) -> None:
        step.status, step.completed_at, step.due_at = status, now, None
        details = {"step": step.name} | ({"reason": reason} if reason else {})
        self._record(Note(f"step_{status}", details))
        self._touch(now)

    def _stop(self, now: datetime, *, reason: str, details: dict[str, Any]) -> None:
        for step in self.steps:
            if step.open:
                step.status, step.completed_at, step.due_at = "cancelled", now, None
        self.status, self.ended_at = "cancelled", now
        self._touch(now)
        self._record(JourneyEvent("cancelled", {"reason": reason}), Note("cancelled", {"reason": reason} | details))

    def _maybe_finish(self, now: datetime) -> None:
        if self.status != "active":
            return
        if any(s.status in ("scheduled", "in_progress") for s in self.steps):
            return
        # Only steps waiting for a survey answer can still be pending here: nothing else will run, so
        # they will never be triggered.
        for step in self.steps:
            if step.status == "pending":
                self._skip(step, "never triggered", now)
        failed = [s.name for s in self.steps if s.status == "failed"]
        self.status, self.ended_at = ("failed" if failed else "completed"), now
        self._touch(now)
        self._record(
            JourneyEvent("completed", {"status": self.status, "failed_steps": failed}),
            Note(self.status, {"failed_steps": failed} if failed else {}),
        )

    def _erase(self, now: datetime, details: dict[str, Any]) -> None:
        self.facts = {
            **self.facts,
            "account_manager": None,  # a person's name too
            "customer": {k: None for k in ("email", "name", "company")}
            | {k: self.facts.get("customer", {}).get(k) for k in ("locale", "timezone", "segment")},
        }
        self.erased_at = now
        self._touch(now)
        self._record(Note("personal_data_erased", details), EraseEverywhere())

    def _step(self, name: str) -> Step:
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(name)

    def _require(self, condition: bool, message: str) -> None:
        if not condition:
            raise InvalidTransition(message)

    def _touch(self, now: datetime) -> None:
        self.updated_at = max(self.updated_at, now)

    def _record(self, *effects: Effect) -> None:
        self.effects.extend(effects)
