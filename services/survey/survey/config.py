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
    topic_survey_responses: str = topics.SURVEY_RESPONSES  # the exit-survey answers (public)
    topic_commands: str = commands.SURVEY_COMMANDS  # internal: the orchestrator's commands
    topic_step_results: str = commands.STEP_RESULTS  # internal: what became of each step
    # Where customers open the exit survey and their own page: the links in emails (the public address).
    public_url: str = "http://127.0.0.1:8002"
    # The HMAC key signing survey links; production refuses the development one.
    token_secret: SecretStr = SecretStr("dev-survey-token-secret")
    survey_ttl: timedelta = Field(timedelta(days=30), description="How long a survey link stays valid.")
    # The customer's own page (/p/<token>) works this long after its last date (the end of access, the deletion
    # of the personal data), then answers 410.
    page_kept_after_end: timedelta = Field(timedelta(days=90), ge=timedelta(0))
    # b2b: where the customer's page lets them book a hand-over call (https).
    hand_over_call_url: str | None = Field(None, pattern=r"^https://\S+$", max_length=500)
    page_views_per_second: float = Field(2.0, gt=0)  # views per page link a second (per replica); more: 429
    page_views_burst: int = Field(30, ge=1)  # views per page link at once
    page_posts_per_hour: float = Field(20.0, gt=0)  # form posts (help, survey, contact) per page link an hour
    page_posts_burst: int = Field(5, ge=1)  # form posts per page link at once
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
