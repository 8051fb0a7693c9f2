"""The orchestrator's settings: environment variables prefixed ORCHESTRATOR_ (shared ones have no prefix)."""

from datetime import timedelta
from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.events import commands, topics
from shared.settings import ServiceSettings

SHIPPED_TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ORCHESTRATOR_", frozen=True, extra="ignore")

    database_schema: str = "orchestrator"
    http_port: int = 8000
    templates_dir: Path = SHIPPED_TEMPLATES

    topic_subscription_cancelled: str = topics.SUBSCRIPTION_CANCELLED
    topic_subscription_reactivated: str = topics.SUBSCRIPTION_REACTIVATED
    topic_journey_events: str = topics.JOURNEY_EVENTS
    topic_survey_responses: str = topics.SURVEY_RESPONSES
    topic_notifier_commands: str = commands.NOTIFIER_COMMANDS
    topic_survey_commands: str = commands.SURVEY_COMMANDS
    topic_step_results: str = commands.STEP_RESULTS

    retry_max_attempts: int = Field(5, ge=1, le=50)
    retry_base_delay: timedelta = timedelta(seconds=30)
    retry_max_delay: timedelta = timedelta(hours=1)
    step_timeout: timedelta = timedelta(minutes=15)
    timer_interval_seconds: float = Field(1.0, gt=0, le=60)
    timer_batch_size: int = Field(100, ge=1, le=5000)
    consumer_max_records: int = Field(500, ge=1, le=10_000)
