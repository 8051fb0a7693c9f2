"""The journey: one cancelled subscription's off-boarding, as a state machine over its steps.

Every change comes in as a method call with the current time (started, timer due, step result, survey
answer, reactivation, operator action) and leaves the journey in a new state with the effects it decided
(commands, journey events, timeline notes) in `effects`. No I/O here: the service layer loads and saves.
"""

import uuid
from datetime import datetime
from typing import Any

from orchestrator.domain.effects import JourneyEvent, Note
from orchestrator.domain.journey_state import (
    MAX_HELP_ANSWERS,
    OPEN_JOURNEY,
    TERMINAL,
    UNREACHABLE_HAND_OVER,
    WELCOME_BACK,
    InvalidTransition,
    JourneyState,
    JourneyStatus,
    Outcome,
    Step,
    StepStatus,
    help_steps,
)
from orchestrator.domain.policy import RetryPolicy
from orchestrator.domain.templates import Template

__all__ = ["OPEN_JOURNEY", "TERMINAL", "InvalidTransition", "Journey", "JourneyStatus", "Step", "StepStatus"]


class Journey(JourneyState):
    # ----- starting -------------------------------------------------------------------------------

    @classmethod
    def start(
        cls,
        *,
        journey_id: uuid.UUID,
        template: Template,
        facts: dict[str, Any],
        cancelled_at: datetime,
        effective_at: datetime,
        now: datetime,
        policy: RetryPolicy,
        reactivated_at: datetime | None = None,
    ) -> "Journey":
        """A new journey; with `reactivated_at` (a reactivation that arrived first) it stops before any step runs."""
        variant = template.variant_for(facts["subscription_id"])
        journey = cls(
            id=journey_id,
            subscription_id=facts["subscription_id"],
            customer_id=facts["customer_id"],
            template=template.name,
            template_version=template.version,
            segment=facts["segment"],
            initiated_by=facts["initiated_by"],
            status="active",
            started_at=now,
            updated_at=now,
            cancelled_at=cancelled_at,
            effective_at=effective_at,
            facts=facts,
            steps=[Step(spec) for spec in template.steps_for(variant)],
            variant=variant.name if variant else None,
            experiment=template.experiment.name if variant and template.experiment.winner is None else None,
        )
        started = {"template": template.name, "version": template.version}
        journey._record(
            JourneyEvent("started"), Note("started", started | ({"variant": journey.variant} if variant else {}))
        )
        for step in journey.steps:
            if step.spec.at.anchor in ("start", "effective_at"):
                journey._schedule(step, journey._anchor_time(step.spec.at), now, at_start=True)
        if reactivated_at is None or not journey.reactivated(reactivated_at, now, policy):
            journey._advance(now, policy)
        return journey

    # ----- facts arriving -------------------------------------------------------------------------

    def timer_due(self, now: datetime, policy: RetryPolicy) -> None:
        """Run what is due: steps whose moment came, and attempts whose result did not come in time."""
        if self.status == "paused":
            return
        for step in self.steps:
            if step.status == "in_progress" and step.due_at is not None and step.due_at <= now:
                self._attempt_failed(step, "no result within the step timeout", retryable=True, now=now, policy=policy)
        self._advance(now, policy)

    def step_result(
        self,
        *,
        step_name: str,
        command_id: str,
        outcome: Outcome,
        now: datetime,
        policy: RetryPolicy,
        reason: str | None = None,
        retryable: bool = True,
        data: dict[str, Any] | None = None,
        not_before: datetime | None = None,
    ) -> bool:
        """Apply a step's result; False when it is stale or repeated (not the command in flight)."""
        step = self._step(step_name)
        if step.status != "in_progress" or step.command_id != command_id:
            return False
        attempt = step.attempts
        if outcome == "succeeded":
            step.result = dict(data or {})
            self._finish_step(step, "succeeded", now)
            self._record(JourneyEvent("step_completed", {"step": step.name, "attempt": attempt}))
            self._trigger("step", now, anchor_step=step.name)
        elif outcome == "skipped":
            self._skip(step, reason or "skipped by the service", now)
        elif outcome == "deferred":
            # Not an attempt: the service asked to be asked again later (quiet hours).
            step.status, step.attempts, step.due_at = "scheduled", attempt - 1, max(not_before or now, now)
            self._record(Note("step_deferred", {"step": step.name, "reason": reason, "until": step.due_at.isoformat()}))
            self._touch(now)
        else:
            self._attempt_failed(step, reason or "failed", retryable=retryable, now=now, policy=policy)
        self._advance(now, policy)
        return True

    def survey_answered(self, answer: dict[str, Any], now: datetime, policy: RetryPolicy) -> bool:
        """Record the exit-survey answer (score, reason, may_contact) once; start steps that wait for it."""
        if self.survey is not None:
            return False
        self.survey = {k: answer.get(k) for k in ("score", "reason", "may_contact")}
        self._record(Note("survey_answered", dict(self.survey)))
        if self.status in OPEN_JOURNEY:
            self._trigger("survey_answered", now)
        self._advance(now, policy)
        return True

    def reactivated(self, reactivated_at: datetime, now: datetime, policy: RetryPolicy) -> bool:
        """A reactivation later than the cancellation stops the journey and welcomes the customer back."""
        if reactivated_at <= self.cancelled_at or self.status not in (*OPEN_JOURNEY, "failed"):
            self._record(Note("reactivation_ignored", {"reactivated_at": reactivated_at.isoformat()}))
            return False
        self.facts = {**self.facts, "reactivated_at": reactivated_at.isoformat()}  # the customer's page welcomes
        self._stop(now, reason="reactivated", details={"reactivated_at": reactivated_at.isoformat()})
        welcome = Step(WELCOME_BACK)
        self.steps.append(welcome)
        self._schedule(welcome, now, now)
        self._advance(now, policy)
        return True

    def email_unreachable(
        self, *, step_name: str, kind: str, reason_code: str, occurred_at: datetime, now: datetime, policy: RetryPolicy
    ) -> bool:
        """An email of this journey bounced for good or drew a complaint: the notifier skips the later emails
        (address_unreachable); a b2b account's manager is told once, through the webhook channel, which emails
        the customer did not get and which they will not. False when there is nothing to hand over."""
        handed_over = any(s.name == UNREACHABLE_HAND_OVER.name for s in self.steps)
        if self.segment != "b2b" or self.status not in OPEN_JOURNEY or self.erased_at is not None or handed_over:
            return False
        missed = [
            {"step": s.name, "message": s.spec.message, "due_at": s.due_at.isoformat() if s.due_at else None}
            for s in self.steps
            if s.spec.kind == "notify" and s.spec.channel == "email" and (s.name == step_name or s.open)
        ]
        unreachable = {"step": step_name, "kind": kind, "reason_code": reason_code, "at": occurred_at.isoformat()}
        self.facts = {**self.facts, "unreachable": unreachable | {"missed": missed}}
        hand_over = Step(UNREACHABLE_HAND_OVER)
        self.steps.append(hand_over)
        self._schedule(hand_over, now, now)
        self._record(Note("handed_over_to_account_manager", unreachable))
        self._advance(now, policy)
        return True

    def help_requested(
        self,
        *,
        request_id: str,
        topic: str,
        reach_by: str,
        requested_at: datetime,
        sealed_help: dict[str, Any] | None,
        now: datetime,
        policy: RetryPolicy,
    ) -> bool:
        """The customer asked for help on their page: an email tells them it arrived (help_received_<n>) and a b2b
        account's helpdesk gets it through the webhook channel (help_hand_over_<n>, with their words, sealed until
        the notifier posts them), whatever the journey's status. At most MAX_HELP_ANSWERS per journey: a flood of
        requests from one link is no flood of emails (later ones still reach the attention list). False when
        nothing is sent (a repeat, an erased journey, past the limit)."""
        asked = list(self.facts.get("help_requests") or [])
        if self.erased_at is not None or len(asked) >= MAX_HELP_ANSWERS:
            return False
        if any(a.get("request_id") == request_id for a in asked):
            return False
        asked.append(
            {
                "request_id": request_id,
                "topic": topic,
                "reach_by": reach_by,
                "requested_at": requested_at.isoformat(),
                "sealed_help": sealed_help,
            }
        )
        self.facts = {**self.facts, "help_requests": asked}
        for spec in help_steps(len(asked), self.segment):
            step = Step(spec)
            self.steps.append(step)
            self._schedule(step, now, now)
        self._touch(now)
        self._advance(now, policy)
        return True

    def marketing_consent_changed(self, consent: bool, changed_at: datetime, now: datetime, *, source: str) -> bool:
        """The customer's own choice of contact (on their page, or an email's unsubscribe link) becomes the
        journey's marketing_consent: the win-back offer's condition is read when the step runs, and the notifier
        checks each marketing command's consent. A choice older than the one kept is ignored (redelivered, or
        overtaken); nothing changes an erased journey."""
        last = self.facts.get("marketing_consent_at")
        if self.erased_at is not None or (isinstance(last, str) and datetime.fromisoformat(last) >= changed_at):
            return False
        self.facts = {**self.facts, "marketing_consent": consent, "marketing_consent_at": changed_at.isoformat()}
        self._touch(now)
        self._record(Note("marketing_consent_changed", {"marketing_consent": consent, "source": source}))
        return True

    # ----- operator actions -----------------------------------------------------------------------

    def revoke_page_link(self, new_token: str, now: datetime, *, by: str, reason: str) -> None:
        """The customer's page gets a new link (the old one leaked, or was forwarded): the page answers only the
        new one from the next page update on, and every later email carries it. Emails already sent keep the old,
        now dead, link."""
        self._require("page_token" in self.facts, "this journey has no page of its own (it started before pages)")
        self._require(self.erased_at is None, "the personal data is erased: the page shows nothing personal any more")
        self.facts = {**self.facts, "page_token": new_token}
        self._touch(now)
        self._record(Note("page_link_revoked", {"by": by, "reason": reason}))

    def pause(self, now: datetime, *, by: str, reason: str) -> None:
        self._require(self.status == "active", f"only an active journey can be paused (it is {self.status})")
        self.status = "paused"
        self._touch(now)
        self._record(Note("paused", {"by": by, "reason": reason}))

    def resume(self, now: datetime, policy: RetryPolicy, *, by: str, reason: str) -> None:
        self._require(self.status == "paused", f"only a paused journey can be resumed (it is {self.status})")
        self.status = "active"
        self._touch(now)
        self._record(Note("resumed", {"by": by, "reason": reason}))
        self._advance(now, policy)

    def cancel(self, now: datetime, *, by: str, reason: str) -> None:
        self._require(self.status in (*OPEN_JOURNEY, "failed"), f"the journey is already {self.status}")
        self._stop(now, reason="operator", details={"by": by, "reason": reason})

    def retry_step(self, step_name: str, now: datetime, policy: RetryPolicy, *, by: str, reason: str) -> None:
        step = self._step(step_name)
        self._require(step.status == "failed", f"only a failed step can be retried (it is {step.status})")
        self._require(self.status in ("active", "paused", "failed"), f"the journey is {self.status}")
        self._require(
            self.erased_at is None or step.spec.kind not in ("notify", "survey"),
            "the customer's personal data is erased: this step can no longer reach them",
        )
        step.attempts, step.last_error, step.completed_at = 0, None, None
        if self.status == "failed":
            self.status, self.ended_at = "active", None
        self._record(Note("step_retry_requested", {"step": step.name, "by": by, "reason": reason}))
        self._schedule(step, now, now)
        self._advance(now, policy)

    def skip_step(self, step_name: str, now: datetime, policy: RetryPolicy, *, by: str, reason: str) -> None:
        step = self._step(step_name)
        self._require(step.open or step.status == "failed", f"the step is already {step.status}")
        self._require(self.status in ("active", "paused", "failed"), f"the journey is {self.status}")
        if self.status == "failed":
            self.status, self.ended_at = "active", None
        self._record(Note("step_skip_requested", {"step": step.name, "by": by, "reason": reason}))
        self._skip(step, f"skipped by an operator: {reason}", now)
        self._advance(now, policy)

    def erase_personal_data(self, now: datetime, *, by: str | None = None, reason: str | None = None) -> None:
        """Forget the customer's personal data now (a data-subject request or the retention step)."""
        if self.erased_at is not None:
            raise InvalidTransition("this journey's personal data is already erased")
        if self.status in OPEN_JOURNEY:
            self._stop(now, reason="erased", details={"by": by, "reason": reason})
        self._erase(now, {"by": by, "reason": reason})
