"""Builds the notifier's running parts from its settings; tests pass their own settings."""

from notifier.config import Settings
from shared.runtime import Runtime, build_runtime


def bootstrap(settings: Settings | None = None) -> Runtime:
    return build_runtime("notifier", settings or Settings())
