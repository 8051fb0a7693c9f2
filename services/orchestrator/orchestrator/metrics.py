"""The orchestrator's own metrics (consumed messages, DLQ and outbox lag come from the shared package)."""

from prometheus_client import Counter, Gauge, Histogram

JOURNEYS_BY_STATUS = Gauge("journeys", "Journeys by status", ["status"])
STEP_LATENCY = Histogram(
    "journey_step_latency_seconds",
    "From a step's dispatch to its result",
    ["kind", "outcome"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900),
)
TIMER_LAG = Gauge("timer_lag_seconds", "How late the oldest due journey step is (0 when none is due)")
INPUT_CLEANED = Counter(
    "input_cleaned_total", "Billing event fields the intake cleaned or defaulted (input limits)", ["field", "outcome"]
)
