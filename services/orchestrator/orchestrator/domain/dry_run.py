"""Dry-run: candidate templates replayed over past cancellations, counted against what actually ran.

Each past journey is replayed through the candidate catalogue with the real state machine (domain/preview.py)
as if it started when it did, with its recorded exit-survey answer, and stopped where a reactivation or an
operator stopped it. Plans depend only on a few things (the facts the rules and conditions read, the survey
answer, where access ends and the journey stopped relative to its start, to the minute), so equal inputs are
replayed once: 100,000 past cancellations take a few thousand replays.
"""

import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from orchestrator.domain.policy import RetryPolicy
from orchestrator.domain.preview import PlannedStep, simulate
from orchestrator.domain.templates import Catalogue, StepSpec, Template, selection_facts

# Replays start here: only the distances between the moments matter.
ORIGIN = datetime(2000, 1, 3, tzinfo=UTC)
UNDECIDED = frozenset({"scheduled", "pending"})  # a running journey's step whose outcome is not known yet


# The template chosen, the variant assigned, each step's plan, and the steps as the variant has them.
Replay = tuple[Template, str | None, list[PlannedStep], dict[str, StepSpec]]


@dataclass(frozen=True)
class PastJourney:
    """What the dry-run reads of a recorded journey: no name or address, even when not yet erased."""

    subscription_id: str  # decides the experiment variant
    facts: dict[str, Any]  # the journey's facts as stored (`customer` holds locale and time zone, no more)
    started_at: datetime
    effective_at: datetime
    stopped_at: datetime | None  # ended by a reactivation or an operator; None if it ran its course
    survey: dict[str, Any] | None
    ran: frozenset[str]  # names of the steps that ran
    undecided: frozenset[str]  # names of the steps still to come: not compared
    erased: bool


@dataclass
class DryRunReport:
    journeys: int = 0
    erased: int = 0
    templates: Counter = field(default_factory=Counter)  # "name vN" -> journeys
    messages: Counter = field(default_factory=Counter)  # message -> how many would be sent
    # Against what actually ran, where that is known (a running journey's steps still to come are left out):
    added: Counter = field(default_factory=Counter)  # step -> journeys where it would run and did not
    skipped: Counter = field(default_factory=Counter)  # step -> journeys where it ran and would not
    nothing: int = 0  # customers who would get no message at all
    # (message, locale, segment) -> customers: what the notifier is asked to render once each
    emails: Counter = field(default_factory=Counter)
    replays: int = 0


class DryRun:
    """Replays past journeys through one candidate catalogue; `add` them in any number of chunks."""

    def __init__(self, catalogue: Catalogue, policy: RetryPolicy) -> None:
        self._catalogue, self._policy = catalogue, policy
        self._facts = sorted(_facts_read(catalogue))
        self._plans: dict[tuple, Replay] = {}
        self.report = DryRunReport()

    def add(self, journeys: Iterable[PastJourney]) -> None:
        report = self.report
        for past in journeys:
            template, variant, plan, specs = self._plan(past)
            report.journeys += 1
            report.erased += past.erased
            report.templates[f"{template.name} v{template.version}{' ' + variant if variant else ''}"] += 1
            sent = 0
            for step in plan:
                spec = specs[step.name]
                runs = step.would == "run"
                if runs and spec.kind == "notify":
                    sent += 1
                    report.messages[spec.message] += 1
                    if spec.channel == "email":
                        locale = _language((past.facts.get("customer") or {}).get("locale"))
                        report.emails[(spec.message, locale, past.facts["segment"])] += 1
                if step.name in past.undecided:
                    continue
                if runs and step.name not in past.ran:
                    report.added[step.name] += 1
                elif not runs and step.name in past.ran:
                    report.skipped[step.name] += 1
            names = {step.name for step in plan}
            for gone in past.ran - names:  # steps of the old template that the candidate has no more
                report.skipped[gone] += 1
            report.nothing += sent == 0

    def _plan(self, past: PastJourney) -> Replay:
        facts = selection_facts(past.facts)
        template = self._catalogue.choose(facts)
        assigned = template.variant_for(past.subscription_id)
        variant = assigned.name if assigned else None
        effective = _minutes(past.effective_at - past.started_at)
        stopped = _minutes(past.stopped_at - past.started_at) if past.stopped_at else None
        survey = tuple(sorted(past.survey.items())) if past.survey else None
        key = (tuple(facts.get(name) for name in self._facts), variant, survey, effective, stopped)
        found = self._plans.get(key)
        if found is None:
            plan = simulate(
                template,
                past.facts | {"subscription_id": past.subscription_id, "customer_id": "replay"},
                journey_id=uuid.UUID(int=0),
                cancelled_at=ORIGIN,
                effective_at=ORIGIN + effective,
                now=ORIGIN,
                policy=self._policy,
                survey=past.survey,
                until=ORIGIN + stopped if stopped is not None else None,
            )
            specs = {spec.name: spec for spec in template.steps_for(assigned)}
            found = self._plans[key] = (template, variant, plan, specs)
            self.report.replays += 1
        return found


def _minutes(span: timedelta) -> timedelta:
    return timedelta(minutes=round(span.total_seconds() / 60))


def _language(locale: str | None) -> str:
    return (locale or "en").replace("_", "-").split("-")[0].lower() or "en"


def _facts_read(catalogue: Catalogue) -> set[str]:
    """Every fact a selection rule or a step condition of the catalogue reads (survey facts come apart)."""
    conditions = [rule.when for rule in catalogue.selection.rules]
    for name in catalogue.names():
        for version in catalogue.versions(name):
            conditions += [step.when for step in catalogue.version(name, version).steps]
    found: set[str] = {"segment", "initiated_by"}
    for condition in conditions:
        found |= condition.facts() if condition else set()
    return {name for name in found if not name.startswith("survey.")}
