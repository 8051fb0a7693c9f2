"""Builds the notifier's running parts from its settings; tests pass their own settings."""

from notifier.config import Settings
from notifier.entrypoints.http import create_app
from shared.runtime import Runtime, build_runtime


def bootstrap(settings: Settings | None = None) -> Runtime:
    runtime = build_runtime("notifier", settings or Settings())
    runtime.http_app = create_app(runtime)
    return runtime
