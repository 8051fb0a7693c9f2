"""Builds the survey service's running parts from its settings; tests pass their own settings."""

from shared.runtime import Runtime, build_runtime
from survey.config import Settings
from survey.entrypoints.http import create_app


def bootstrap(settings: Settings | None = None) -> Runtime:
    settings = settings or Settings()
    runtime = build_runtime("survey", settings)
    runtime.topics = {settings.topic_survey_responses: settings.topic_partitions}
    runtime.http_app = create_app(runtime)
    return runtime
