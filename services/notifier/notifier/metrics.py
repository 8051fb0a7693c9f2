"""The notifier's own metrics (consumed messages, DLQ and outbox lag come from the shared package)."""

from prometheus_client import Counter

SENDS = Counter(
    "notifier_sends_total",
    "Deliveries settled, by channel and outcome (sent, failed, skipped, deferred, duplicate, unconfirmed, erased)",
    ["channel", "outcome"],
)
