"""The alert rules and the dashboard under deploy/monitoring/ name only metrics that the running services export:
the three services run as processes and their /metrics are scraped; every metric an expression reads must be
there (a histogram's _bucket/_count/_sum, a counter's _total, as exposed)."""

import json
import re

import httpx
import pytest
import yaml

from .system import ROOT

pytestmark = pytest.mark.integration
MONITORING = ROOT / "deploy" / "monitoring"
# PromQL's own words: functions, aggregations, keywords. What is left of an expression is metric names.
PROMQL_WORDS = {
    "sum", "min", "max", "avg", "count", "rate", "irate", "increase", "delta", "histogram_quantile", "by",
    "without", "and", "or", "unless", "on", "ignoring", "group_left", "group_right", "offset", "bool", "abs",
    "clamp_min", "clamp_max", "absent", "time", "topk", "bottomk", "vector", "scalar",
}  # fmt: skip
SUFFIXES = ("", "_bucket", "_count", "_sum", "_created")


def metric_names(expr: str) -> set[str]:
    """The metric names an expression reads: strings, label matchers, label lists, ranges, offsets and
    numbers taken out, then PromQL's own words."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)
    text = re.sub(r"\{[^}]*\}", "", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    text = re.sub(r"\[[^\]]*\]", "", text)
    text = re.sub(r"\boffset\s+\w+", "", text)
    text = re.sub(r"\b\d+(\.\d+)?\b", "", text)
    return set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", text)) - PROMQL_WORDS


def rule_expressions() -> list[tuple[str, str]]:
    document = yaml.safe_load((MONITORING / "alerts.yaml").read_text())
    found = []
    for group in document["groups"]:
        for rule in group["rules"]:
            assert rule["labels"]["severity"] in ("page", "ticket"), rule["alert"]
            assert rule["annotations"]["summary"] and rule["annotations"]["runbook"], rule["alert"]
            found.append((rule["alert"], rule["expr"]))
    return found


def dashboard_expressions() -> list[tuple[str, str]]:
    dashboard = json.loads((MONITORING / "dashboard.json").read_text())
    return [(panel["title"], target["expr"]) for panel in dashboard["panels"] for target in panel["targets"]]


def test_the_expressions_are_read_as_expected():
    assert metric_names('sum by (le, kind) (rate(journey_step_latency_seconds_bucket{outcome="x"}[5m])) * 60') == {
        "journey_step_latency_seconds_bucket"
    }
    assert metric_names("max(a_total[1h] offset 1w) > 0.2 and b") == {"a_total", "b"}
    assert len(rule_expressions()) >= 9 and len(dashboard_expressions()) >= 12


async def test_alerts_and_dashboard_use_only_exported_metrics(full_system):
    exported: set[str] = set()
    async with httpx.AsyncClient(timeout=10) as client:
        for replica in full_system.replicas:
            text = (await client.get(f"http://127.0.0.1:{replica.port}/metrics")).text
            families = re.findall(r"^# (?:HELP|TYPE) (\S+)", text, re.M)
            exported |= {family + suffix for family in families for suffix in SUFFIXES}
    missing = {
        (where, name)
        for where, expr in rule_expressions() + dashboard_expressions()
        for name in metric_names(expr)
        if name not in exported
    }
    assert not missing, sorted(missing)
    # Each service exports its own: the notifier its sends, the orchestrator its journeys.
    assert {"notifier_sends_total", "journeys", "timer_lag_seconds", "consumer_stalled_seconds"} <= exported
