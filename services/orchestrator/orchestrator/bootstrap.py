"""Builds the orchestrator's running parts from its settings; tests pass their own settings."""

from orchestrator.config import Settings
from shared.runtime import Runtime, build_runtime


def bootstrap(settings: Settings | None = None) -> Runtime:
    settings = settings or Settings()
    runtime = build_runtime("orchestrator", settings)
    # The orchestrator creates the public topics it reads and writes (with their DLQs) at start-up.
    runtime.topics = {
        settings.topic_subscription_cancelled: settings.topic_partitions,
        settings.topic_subscription_reactivated: settings.topic_partitions,
        settings.topic_journey_events: settings.topic_partitions,
    }
    return runtime
