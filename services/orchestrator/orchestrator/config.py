"""The orchestrator's settings: environment variables prefixed ORCHESTRATOR_ (shared ones have no prefix)."""

from pydantic_settings import SettingsConfigDict

from shared.events import topics
from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ORCHESTRATOR_", frozen=True, extra="ignore")

    database_schema: str = "orchestrator"
    http_port: int = 8000
    topic_subscription_cancelled: str = topics.SUBSCRIPTION_CANCELLED
    topic_subscription_reactivated: str = topics.SUBSCRIPTION_REACTIVATED
    topic_journey_events: str = topics.JOURNEY_EVENTS
