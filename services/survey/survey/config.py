"""The survey's settings: environment variables prefixed SURVEY_ (shared ones have no prefix)."""

from pydantic_settings import SettingsConfigDict

from shared.events import topics
from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SURVEY_", frozen=True, extra="ignore")

    database_schema: str = "survey"
    http_port: int = 8002
    topic_survey_responses: str = topics.SURVEY_RESPONSES
