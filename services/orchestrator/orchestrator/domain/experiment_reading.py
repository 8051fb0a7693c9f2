"""Reading an experiment: per variant, what happened to the customers it got (counted by the database), with 95%
intervals and the difference from the control (the first variant declared), and warnings about what makes the
figures unsafe to read (a split that is off, weights changed between versions)."""

import math
from dataclasses import dataclass
from typing import Any

from orchestrator.domain.experiment_stats import (
    NPS_SCALE,
    SCORE_SCALE,
    Interval,
    Sample,
    mean,
    mean_difference,
    nps_sample,
    rate,
    rate_difference,
)
from orchestrator.domain.templates import Template

SPLIT_Z = 3.29  # 99.9%: a split this far off its weights is a fault to find, not chance
RATES = ("survey_response_rate", "unsubscribe_rate", "reactivated_30d", "reactivated_90d")
MEANS = ("mean_score", "nps")


@dataclass(frozen=True)
class VariantCounts:
    """One variant's journeys in the window, as the database counts them."""

    variant: str
    journeys: int
    customers: int
    surveyed: int  # journeys whose exit survey was created
    answered: int  # of them, answered
    scores: Sample  # the answers' scores (0..10)
    promoters: int  # scores 9-10
    detractors: int  # scores 0-6
    unsubscribed: int
    matured_30d: int  # journeys whose cancellation is at least 30 days old
    reactivated_30d: int  # of them, reactivated within 30 days of the cancellation
    matured_90d: int
    reactivated_90d: int

    def rates(self) -> dict[str, tuple[int, int]]:
        """Each rate as (count, customers measured)."""
        return {
            "survey_response_rate": (self.answered, self.surveyed),
            "unsubscribe_rate": (self.unsubscribed, self.journeys),
            "reactivated_30d": (self.reactivated_30d, self.matured_30d),
            "reactivated_90d": (self.reactivated_90d, self.matured_90d),
        }

    def samples(self) -> dict[str, Sample]:
        return {"mean_score": self.scores, "nps": nps_sample(self.promoters, self.detractors, self.scores.n)}


def declared_in(templates: list[Template], name: str) -> list[Template]:
    """The template versions that declare the experiment `name`, oldest first."""
    return sorted(
        (t for t in templates if t.experiment and t.experiment.name == name), key=lambda t: (t.name, t.version)
    )


def describe(name: str, declared: list[Template]) -> dict[str, Any]:
    """What the templates say of the experiment: running, ended (with its winner), or retired (none declares it)."""
    latest = declared[-1].experiment if declared else None
    return {
        "experiment": name,
        "status": "retired" if latest is None else ("ended" if latest.winner else "running"),
        "winner": latest.winner if latest else None,
        "templates": [{"template": t.name, "version": t.version} for t in declared],
    }


def read_experiment(name: str, declared: list[Template], counts: list[VariantCounts]) -> dict[str, Any]:
    """The experiment's reading; `declared` may be empty (its templates are gone: no weights to check)."""
    latest = declared[-1].experiment if declared else None
    weights = _weights(declared)
    order = [v.name for v in latest.variants] if latest else []
    by_name = {c.variant: c for c in counts}
    names = order + sorted(set(by_name) - set(order))
    rows = [by_name.get(n) or _nothing(n) for n in names]
    control = rows[0] if rows else None
    total = sum(r.journeys for r in rows)
    warnings = _warnings(declared, weights, rows, total)
    return describe(name, declared) | {
        "control": control.variant if control else None,
        "journeys": total,
        "variants": [_variant(r, control, weights, total) for r in rows],
        "warnings": warnings,
    }


def _variant(row: VariantCounts, control: VariantCounts, weights: dict[str, float] | None, total: int) -> dict:
    is_control = row is control
    reading: dict[str, Any] = {
        "name": row.variant,
        "expected_share": weights.get(row.variant) if weights else None,
        "share": _estimate(rate(row.journeys, total), count=row.journeys, n=total, digits=4),
        "journeys": row.journeys,
        "customers": row.customers,
    }
    for metric, (k, n) in row.rates().items():
        reading[metric] = _estimate(rate(k, n), count=k, n=n, digits=4)
    for metric, sample in row.samples().items():
        scale = SCORE_SCALE if metric == "mean_score" else NPS_SCALE
        reading[metric] = _estimate(mean(sample, scale=scale), n=sample.n, digits=2 if metric == "mean_score" else 1)
    versus: dict[str, Any] | None = None
    if not is_control:
        versus = {}
        base_rates, base_samples = control.rates(), control.samples()
        for metric, (k, n) in row.rates().items():
            versus[metric] = _difference(rate_difference(k, n, *base_rates[metric]), digits=4)
        for metric, sample in row.samples().items():
            versus[metric] = _difference(
                mean_difference(sample, base_samples[metric]), digits=2 if metric == "mean_score" else 1
            )
    reading["versus_control"] = versus
    return reading


def _estimate(interval: Interval | None, *, n: int, digits: int, count: int | None = None) -> dict[str, Any]:
    shown = {
        "value": _round(interval.value, digits) if interval else None,
        "low": _round(interval.low, digits) if interval else None,
        "high": _round(interval.high, digits) if interval else None,
        "n": n,
    }
    return shown | ({"count": count} if count is not None else {})


def _difference(interval: Interval | None, *, digits: int) -> dict[str, Any] | None:
    if interval is None:
        return None
    return {
        "difference": _round(interval.value, digits),
        "low": _round(interval.low, digits),
        "high": _round(interval.high, digits),
        "clear": interval.clear,
    }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _weights(declared: list[Template]) -> dict[str, float] | None:
    """Each variant's share of the split by weight, if every version declaring it agrees. (A winner ends the
    split, not the weights it ran with; journeys after it are not counted.)"""
    splits = set()
    for template in declared:
        total = sum(v.weight for v in template.experiment.variants)
        splits.add(tuple((v.name, v.weight / total) for v in template.experiment.variants))
    if len(splits) != 1:
        return None
    return {name: round(share, 4) for name, share in splits.pop()}


# What makes a reading unsafe, by code; the values fill them (the console writes them in its languages).
WARNINGS = {
    "retired": "No deployed template declares this experiment any more: its weights cannot be checked.",
    "weights_changed": "The weights differ between the template versions: the split cannot be checked, and "
    "variants compared over periods with different weights may differ for that reason alone.",
    "split_off": "Variant {variant!r} got {share:.1%} of the journeys where its weight gives {expected:.1%}: the "
    "split is off (a sample ratio mismatch), so find why before reading results.",
    "too_young": "No journey's cancellation is 30 days old yet: reactivation rates come later.",
}


def _warning(code: str, **values: Any) -> dict[str, Any]:
    return {"code": code, "message": WARNINGS[code].format(**values), "values": values}


def _warnings(
    declared: list[Template], weights: dict[str, float] | None, rows: list[VariantCounts], total: int
) -> list[dict[str, Any]]:
    warnings = []
    if not declared:
        warnings.append(_warning("retired"))
    elif weights is None:
        warnings.append(_warning("weights_changed"))
    for row in rows if weights and total else []:
        expected = weights.get(row.variant)
        if expected is None:
            continue
        z = (row.journeys / total - expected) / math.sqrt(expected * (1 - expected) / total) if expected < 1 else 0
        if abs(z) > SPLIT_Z:
            warnings.append(_warning("split_off", variant=row.variant, share=row.journeys / total, expected=expected))
    if rows and all(r.matured_30d == 0 for r in rows):
        warnings.append(_warning("too_young"))
    return warnings


def _nothing(variant: str) -> VariantCounts:
    return VariantCounts(variant, 0, 0, 0, 0, Sample(0, 0, 0), 0, 0, 0, 0, 0, 0, 0)
