"""Reading an experiment: the intervals against published values, and the reading's comparisons and warnings."""

import pytest

from orchestrator.domain.experiment_reading import VariantCounts, declared_in, read_experiment
from orchestrator.domain.experiment_stats import (
    NPS_SCALE,
    SCORE_SCALE,
    Sample,
    mean,
    mean_difference,
    nps_sample,
    rate,
    rate_difference,
    t_975,
)
from orchestrator.domain.templates import Template

from .journeys import CATALOGUE


def close(interval, value, low, high, places=4):
    assert interval.value == pytest.approx(value, abs=10**-places)
    assert interval.low == pytest.approx(low, abs=10**-places)
    assert interval.high == pytest.approx(high, abs=10**-places)


def test_rates_get_wilson_intervals():
    close(rate(50, 100), 0.5, 0.4038, 0.5962)
    close(rate(0, 10), 0.0, 0.0, 0.2775)  # not the textbook 0 to 0
    close(rate(10, 10), 1.0, 0.7225, 1.0)
    assert rate(0, 0) is None


def test_a_difference_of_rates_gets_newcombes_interval():
    # Newcombe (1998), Statistics in Medicine 17:873, table II, 56/70 - 48/80 by method 10.
    difference = rate_difference(56, 70, 48, 80)
    close(difference, 0.2, 0.0524, 0.3339)
    assert difference.clear
    assert not rate_difference(5, 10, 4, 10).clear
    assert rate_difference(1, 2, 0, 0) is None


def test_means_get_t_intervals_kept_on_their_scale():
    one_to_five = Sample(5, 15, 55)
    close(mean(one_to_five, scale=SCORE_SCALE), 3.0, 1.0371, 4.9629)  # 3 +- 2.776 * sqrt(2.5 / 5)
    # Three promoters, a passive and a detractor: NPS 40, and the interval stops at 100.
    close(mean(nps_sample(3, 1, 5), scale=NPS_SCALE), 40.0, -71.04, 100.0, places=2)
    alone = mean(Sample(1, 7, 49), scale=SCORE_SCALE)
    assert alone.value == 7 and alone.low is None and alone.high is None and not alone.clear
    assert mean(Sample(0, 0, 0), scale=SCORE_SCALE) is None


def test_a_difference_of_means_gets_welchs_interval():
    # Equal sizes and variances: Welch's degrees of freedom are 2 (n - 1) = 8, t = 2.306, standard error 1.
    close(mean_difference(Sample(5, 15, 55), Sample(5, 20, 90)), -1.0, -3.306, 1.306)
    assert mean_difference(Sample(1, 5, 25), Sample(5, 20, 90)) is None


def test_t_points_between_and_beyond_the_table():
    assert t_975(4) == 2.776
    assert t_975(29.5) == pytest.approx((2.045 + 2.042) / 2)
    assert t_975(100) == pytest.approx(1.984, abs=1e-3)
    assert t_975(10_000) == pytest.approx(1.960, abs=1e-3)


def counts(variant, journeys, **values) -> VariantCounts:
    base = dict(
        customers=journeys,
        surveyed=journeys,
        answered=0,
        scores=Sample(0, 0, 0),
        promoters=0,
        detractors=0,
        unsubscribed=0,
        matured_30d=journeys,
        reactivated_30d=0,
        matured_90d=journeys,
        reactivated_90d=0,
    )
    return VariantCounts(variant, journeys, **(base | values))


def with_experiment(variants, *, version=2, winner=None) -> Template:
    experiment = {"name": "offer-wording", "variants": variants, "winner": winner}
    shipped = CATALOGUE.latest("b2c-voluntary").model_dump(by_alias=True, exclude_none=True)
    return Template.model_validate(shipped | {"version": version, "experiment": experiment})


HALF_HALF = [{"name": "control", "weight": 1}, {"name": "warm", "weight": 1}]


def test_each_variant_is_read_against_the_control():
    declared = declared_in([with_experiment(HALF_HALF)], "offer-wording")
    reading = read_experiment(
        "offer-wording",
        declared,
        [
            # Listed out of order: the reading follows the declaration, the control first.
            counts("warm", 800, reactivated_30d=160, unsubscribed=8),
            counts("control", 800, reactivated_30d=96, unsubscribed=9),
        ],
    )
    control, warm = reading["variants"]
    assert reading["control"] == "control" and reading["status"] == "running" and reading["journeys"] == 1600
    assert control["name"] == "control" and control["versus_control"] is None
    assert control["expected_share"] == 0.5 and control["share"]["value"] == 0.5 and control["share"]["n"] == 1600
    assert warm["reactivated_30d"]["count"] == 160 and warm["reactivated_30d"]["n"] == 800
    assert warm["reactivated_30d"]["value"] == 0.2
    better = warm["versus_control"]["reactivated_30d"]
    assert better["difference"] == pytest.approx(0.08) and better["clear"]
    assert not warm["versus_control"]["unsubscribe_rate"]["clear"]
    assert warm["versus_control"]["mean_score"] is None  # nobody answered: nothing to compare
    assert reading["warnings"] == []


def test_a_split_off_its_weights_is_a_warning_and_chance_is_not():
    declared = declared_in([with_experiment(HALF_HALF)], "offer-wording")
    chance = read_experiment("offer-wording", declared, [counts("control", 520), counts("warm", 480)])
    assert chance["warnings"] == []
    off = read_experiment("offer-wording", declared, [counts("control", 600), counts("warm", 400)])
    (warning,) = off["warnings"][:1]
    assert warning["code"] == "split_off" and warning["values"] == {"variant": "control", "share": 0.6, "expected": 0.5}
    assert "'control' got 60.0% of the journeys where its weight gives 50.0%" in warning["message"]


def test_changed_weights_retired_experiments_and_young_journeys_are_said():
    changed = declared_in(
        [with_experiment(HALF_HALF), with_experiment([{**HALF_HALF[0], "weight": 3}, HALF_HALF[1]], version=3)],
        "offer-wording",
    )
    reading = read_experiment("offer-wording", changed, [counts("control", 10), counts("warm", 10)])
    assert [w["code"] for w in reading["warnings"]] == ["weights_changed"]
    assert reading["variants"][0]["expected_share"] is None
    retired = read_experiment("offer-wording", [], [counts("warm", 3, matured_30d=0), counts("control", 4)])
    assert retired["status"] == "retired" and [v["name"] for v in retired["variants"]] == ["control", "warm"]
    assert [w["code"] for w in retired["warnings"]] == ["retired"]
    young = read_experiment("offer-wording", changed, [counts("control", 5, matured_30d=0, matured_90d=0)])
    assert [w["code"] for w in young["warnings"]] == ["weights_changed", "too_young"]
    control = young["variants"][0]
    assert control["reactivated_30d"]["value"] is None and control["reactivated_30d"]["n"] == 0
    missing = young["variants"][1]  # declared, but no journey got it yet
    assert missing["name"] == "warm" and missing["journeys"] == 0


def test_an_ended_experiment_keeps_its_weights_for_the_check():
    ended = declared_in([with_experiment(HALF_HALF, winner="warm")], "offer-wording")
    reading = read_experiment("offer-wording", ended, [counts("control", 50), counts("warm", 50)])
    assert reading["status"] == "ended" and reading["winner"] == "warm"
    assert reading["variants"][1]["expected_share"] == 0.5
