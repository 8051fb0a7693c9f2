"""The dry-run over generated past cancellations: every count is also computed here, independently, from the
candidate's rules written out by hand; equal inputs are replayed once."""

import random
from collections import Counter
from datetime import timedelta

from orchestrator.domain.dry_run import DryRun, PastJourney
from orchestrator.domain.templates import catalogue_from_texts
from orchestrator.tools.templates import read_templates

from .journeys import T0, TEMPLATES, policy

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
CANDIDATE = """\
name: b2c-voluntary
version: 2
steps:
  - {name: confirmation, kind: notify, message: cancellation_confirmation, when: {fact: plan, not_equals: free}}
  - {name: exit_survey, kind: survey, at: {anchor: start, offset: PT1H}, when: {fact: initiated_by, not_equals: merchant}}
  - {name: exit_survey_invitation, kind: notify, message: exit_survey_invitation, at: {anchor: step, step: exit_survey}}
  - name: access_ending_reminder
    kind: notify
    message: access_ending_reminder
    at: {anchor: effective_at, offset: -P3D, if_past: skip}
  - name: win_back_offer
    kind: notify
    category: marketing
    message: win_back_offer
    at: {anchor: effective_at, offset: P14D}
    when: {all: [{fact: marketing_consent, equals: true}, {not: {fact: survey.score, lte: 6}}]}
"""
V1_STEPS = ["confirmation", "exit_survey", "exit_survey_invitation", "thanks", "data_export_help", "access_ended"]


def past_journeys(count: int, seed: int = 11) -> list[PastJourney]:
    rng = random.Random(seed)
    journeys = []
    for _ in range(count):
        start = T0 + timedelta(minutes=rng.randrange(0, 60 * 24 * 60))
        answered = rng.random() < 0.5
        ran = {name for name in V1_STEPS if rng.random() < 0.6}
        journeys.append(
            PastJourney(
                subscription_id=f"sub_{len(journeys)}",
                facts={
                    "segment": "b2c",
                    "initiated_by": rng.choice(["customer", "customer", "merchant"]),
                    "plan": rng.choice(["free", "pro", "team"]),
                    "reason": "too_expensive",
                    "marketing_consent": rng.random() < 0.5,
                    "customer": {
                        "locale": rng.choice(["en", "de", "de-AT", None]),
                        "timezone": "UTC",
                        "segment": "b2c",
                    },
                },
                started_at=start,
                effective_at=start + rng.choice([-40 * DAY, -10 * DAY, 2 * DAY, 20 * DAY]),
                stopped_at=rng.choice([None, None, start + 30 * timedelta(minutes=1), start + 3 * DAY]),
                survey={"score": rng.randrange(0, 11), "reason": "other", "may_contact": False} if answered else None,
                ran=frozenset(ran),
                undecided=frozenset(name for name in V1_STEPS if name not in ran and rng.random() < 0.3),
                erased=rng.random() < 0.2,
            )
        )
    return journeys


def expected_runs(past: PastJourney) -> dict[str, bool]:
    """The candidate's rules, by hand: what each step does for this journey."""
    start, end, stop = past.started_at, past.effective_at, past.stopped_at
    reached = lambda moment: stop is None or moment <= stop  # noqa: E731
    runs = {"confirmation": past.facts["plan"] != "free"}
    runs["exit_survey"] = past.facts["initiated_by"] != "merchant" and reached(start + HOUR)
    runs["exit_survey_invitation"] = runs["exit_survey"]
    reminder = end - 3 * DAY
    runs["access_ending_reminder"] = reminder >= start and reached(reminder)
    # A moment past when the journey started comes an hour after the start (PAST_DUE_DELAY).
    offer = end + 14 * DAY if end + 14 * DAY > start else start + HOUR
    answered_at = start + 2 * HOUR  # an hour after the survey was created
    score_known = past.survey is not None and runs["exit_survey"] and reached(answered_at) and offer >= answered_at
    unhappy = score_known and past.survey["score"] <= 6
    runs["win_back_offer"] = past.facts["marketing_consent"] and not unhappy and reached(offer)
    return runs


def test_a_candidate_replayed_over_three_thousand_past_cancellations():
    files = read_templates(TEMPLATES) | {"b2c-voluntary.v2.yaml": CANDIDATE}
    journeys = past_journeys(3000)
    dry_run = DryRun(catalogue_from_texts(files), policy())
    for chunk in range(0, len(journeys), 500):
        dry_run.add(journeys[chunk : chunk + 500])
    report = dry_run.report

    messages, added, skipped, nothing, emails = Counter(), Counter(), Counter(), 0, Counter()
    message_of = {
        "confirmation": "cancellation_confirmation",
        "exit_survey_invitation": "exit_survey_invitation",
        "access_ending_reminder": "access_ending_reminder",
        "win_back_offer": "win_back_offer",
    }
    for past in journeys:
        runs = expected_runs(past)
        for step, message in message_of.items():
            if runs[step]:
                messages[message] += 1
                language = (past.facts["customer"]["locale"] or "en")[:2]
                emails[(message, language, "b2c")] += 1
        nothing += not any(runs[step] for step in message_of)
        for step, does in runs.items():
            if step in past.undecided:
                continue
            added[step] += does and step not in past.ran
            skipped[step] += not does and step in past.ran
        for gone in past.ran - set(runs):
            skipped[gone] += 1

    assert report.journeys == 3000 and report.erased == sum(p.erased for p in journeys)
    assert report.templates == Counter({"b2c-voluntary v2": 3000})
    assert report.messages == messages
    assert report.emails == emails
    assert +report.added == +added and +report.skipped == +skipped
    assert report.nothing == nothing and nothing > 0
    distinct = {
        (
            p.facts["initiated_by"],
            p.facts["plan"],
            p.facts["marketing_consent"],
            tuple(sorted(p.survey.items())) if p.survey else None,
            p.effective_at - p.started_at,
            p.stopped_at - p.started_at if p.stopped_at else None,
        )
        for p in journeys
    }
    assert report.replays == len(distinct) < len(journeys) / 2  # equal inputs are replayed once


def test_each_cancellation_gets_the_template_its_rules_choose():
    files = read_templates(TEMPLATES)
    kinds = [("b2c", "customer"), ("b2b", "customer"), ("b2b", "payment_failure"), ("b2c", "merchant")]
    journeys = [
        PastJourney(
            subscription_id=f"sub_{segment}_{initiated_by}",
            facts={"segment": segment, "initiated_by": initiated_by, "customer": {"locale": "en"}},
            started_at=T0,
            effective_at=T0 + 30 * DAY,
            stopped_at=None,
            survey=None,
            ran=frozenset(),
            undecided=frozenset(),
            erased=False,
        )
        for segment, initiated_by in kinds
    ]
    dry_run = DryRun(catalogue_from_texts(files), policy())
    dry_run.add(journeys)
    assert dry_run.report.templates == Counter({"b2c-voluntary v1": 2, "b2b-voluntary v1": 1, "involuntary v1": 1})
