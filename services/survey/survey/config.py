"""The survey service's settings: environment variables prefixed SURVEY_ (shared ones have no prefix)."""

from datetime import timedelta

from pydantic import Field, SecretStr, field_validator, model_validator
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
    # The customer's own page (/p/<token>): it works this long after its last date (the end of access, the
    # deletion of the personal data), then answers 410; and where a b2b customer books a hand-over call.
    page_kept_after_end: timedelta = Field(timedelta(days=90), ge=timedelta(0))
    hand_over_call_url: str | None = Field(None, pattern=r"^https://\S+$", max_length=500)
    # Requests per page link: views (a second, and at once) and form posts (an hour, and at once).
    page_views_per_second: float = Field(2.0, gt=0)
    page_views_burst: int = Field(30, ge=1)
    page_posts_per_hour: float = Field(20.0, gt=0)
    page_posts_burst: int = Field(5, ge=1)
    # The orchestrator's schema, whose journey_keys table checks commands and seals the links they are answered
    # with (this service's database role may SELECT that one table).
    keyring_schema: str = Field("orchestrator", pattern=r"^[a-z_][a-z0-9_]{0,62}$")
    # The brand the pages show and the company's links: SURVEY_BRAND_NAME, _BRAND_COMPANY, _BRAND_COLOR,
    # _BRAND_LOGO_URL, _SUPPORT_EMAIL, _PRIVACY_URL, _EXPORT_URL, _REACTIVATE_URL, _REACTIVATE_URL_B2B,
    # _PAYMENT_UPDATE_URL (shared/brand.py; set them like the notifier's)

    @field_validator("hand_over_call_url", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value  # an empty variable (compose, Helm) means "not set"

    @model_validator(mode="after")
    def _real_secret_in_production(self) -> "Settings":
        self.refuse_development_secret("SURVEY_TOKEN_SECRET", self.token_secret.get_secret_value())
        return self
