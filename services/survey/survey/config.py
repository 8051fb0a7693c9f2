"""The survey service's settings: environment variables prefixed SURVEY_ (shared ones have no prefix)."""

from datetime import timedelta

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.brand import BrandSettings
from shared.events import commands, topics
from shared.settings import ServiceSettings


class Settings(ServiceSettings, BrandSettings):
    model_config = SettingsConfigDict(env_prefix="SURVEY_", frozen=True, extra="ignore")

    database_schema: str = "survey"
    database_role: str = Field("offboarding_survey", pattern=r"^([a-z_][a-z0-9_]{0,62})?$")
    http_port: int = 8002
    topic_survey_responses: str = topics.SURVEY_RESPONSES
    topic_commands: str = commands.SURVEY_COMMANDS
    topic_step_results: str = commands.STEP_RESULTS
    public_url: str = "http://127.0.0.1:8002"  # where customers open the survey
    token_secret: SecretStr = SecretStr("dev-survey-token-secret")
    survey_ttl: timedelta = Field(timedelta(days=30), description="how long a survey link stays valid")
    # The orchestrator's schema, whose journey_keys table checks commands and seals the links they are answered
    # with (this service's database role may SELECT that one table).
    keyring_schema: str = Field("orchestrator", pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    # The brand the pages show: SURVEY_BRAND_NAME, _BRAND_COMPANY, _BRAND_COLOR, _BRAND_LOGO_URL, _SUPPORT_EMAIL,
    # _PRIVACY_URL (shared/brand.py; set them like the notifier's)

    @model_validator(mode="after")
    def _real_secret_in_production(self) -> "Settings":
        self.refuse_development_secret("SURVEY_TOKEN_SECRET", self.token_secret.get_secret_value())
        return self
