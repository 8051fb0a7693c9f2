"""Experiments: a stable, weighted assignment per subscription; variants that change or leave out steps; a winner
that ends the experiment; the journey and its events carry the variant; mistakes are refused by name."""

import uuid
from collections import Counter

import pytest
import yaml

from orchestrator.domain.experiments import Experiment
from orchestrator.domain.journey import Journey
from orchestrator.domain.template_check import check
from orchestrator.domain.templates import Template, TemplateError, catalogue_from_texts
from orchestrator.service_layer.messages import journey_event
from orchestrator.tools.templates import read_templates

from .journeys import T0, TEMPLATES, facts, policy

EXPERIMENT = """\
experiment:
  name: win-back-timing
  variants:
    - {name: control, weight: 50}
    - name: early
      weight: 40
      steps: {win_back_offer: {at: {anchor: effective_at, offset: P7D}, message: data_export_help}}
    - {name: holdout, weight: 10, steps: {win_back_offer: {skip: true}}}
"""
SHIPPED = read_templates(TEMPLATES)


def b2c_with(experiment: str = EXPERIMENT) -> Template:
    document = yaml.safe_load(SHIPPED["b2c-voluntary.v1.yaml"]) | yaml.safe_load(experiment)
    return Template.model_validate(document)


def start(template: Template, subscription: str) -> Journey:
    return Journey.start(
        journey_id=uuid.uuid4(),
        template=template,
        facts=facts(consent=True) | {"subscription_id": subscription},
        cancelled_at=T0,
        effective_at=T0,
        now=T0,
        policy=policy(),
    )


def test_assignment_is_stable_and_follows_the_weights_over_ten_thousand_subscriptions():
    experiment = b2c_with().experiment
    ids = [f"sub_{n}" for n in range(10_000)]
    first = [experiment.assign(sub).name for sub in ids]
    again = [Experiment.model_validate(experiment.model_dump()).assign(sub).name for sub in ids]
    split = Counter(first)
    assert first == again
    for name, share in (("control", 0.5), ("early", 0.4), ("holdout", 0.1)):
        assert abs(split[name] / 10_000 - share) < 0.02, split  # 4 standard errors at n=10,000


def test_two_experiments_split_independently():
    one = b2c_with().experiment
    other = Experiment.model_validate(one.model_dump() | {"name": "another-test"})
    ids = [f"sub_{n}" for n in range(10_000)]
    both = sum(one.assign(s).name == "control" and other.assign(s).name == "control" for s in ids) / 10_000
    assert abs(both - 0.25) < 0.02


def test_variants_change_or_leave_out_steps_and_the_journey_and_its_events_carry_the_variant():
    template = b2c_with()
    by_variant = {}
    for n in range(200):
        journey = start(template, f"sub_{n}")
        by_variant.setdefault(journey.variant, journey)
    control, early, holdout = by_variant["control"], by_variant["early"], by_variant["holdout"]
    assert control.step("win_back_offer").spec.message == "win_back_offer"
    changed = early.step("win_back_offer").spec
    assert changed.message == "data_export_help" and str(changed.at.offset) == "7 days, 0:00:00"
    assert "win_back_offer" not in {s.name for s in holdout.steps}
    (started,) = [e for e in holdout.effects if getattr(e, "kind", None) == "started"]
    assert journey_event(holdout, started).data["variant"] == "holdout"
    assert start(Template.model_validate(yaml.safe_load(SHIPPED["b2c-voluntary.v1.yaml"])), "sub_1").variant is None


def test_a_winner_ends_the_experiment():
    template = b2c_with(EXPERIMENT + "  winner: early\n")
    assert {start(template, f"sub_{n}").variant for n in range(50)} == {"early"}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            "    - {name: other, weight: 5, steps: {nope: {skip: true}}}\n",
            "changes steps the template does not have: nope",
        ),
        ("    - {name: early, weight: 5}\n", "two variants have the same name"),
        ("  winner: best\n", "winner 'best' is not one of the variants"),
        ("    - {name: nosurvey, weight: 5, steps: {exit_survey: {skip: true}}}\n", "leaves out step 'exit_survey'"),
        ("    - {name: zero, weight: 0}\n", "greater than or equal to 1"),
    ],
)
def test_mistakes_in_an_experiment_are_refused_with_their_line(change, problem):
    text = SHIPPED["b2c-voluntary.v1.yaml"] + EXPERIMENT + change
    files = SHIPPED | {"b2c-voluntary.v1.yaml": text}
    with pytest.raises(TemplateError, match=problem):
        catalogue_from_texts(files)
    (finding,) = check(files, None)
    assert problem in finding.problem and finding.file == "b2c-voluntary.v1.yaml" and finding.line
