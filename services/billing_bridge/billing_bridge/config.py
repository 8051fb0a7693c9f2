"""The billing bridge's settings: environment variables prefixed BILLING_ (shared ones have no prefix). The bridge
has no database: DATABASE_URL is not read.

Each secret setting takes several values, comma-separated: a provider's old and new secret both pass while it is
rotated. A provider without a secret is not served (its route answers 404).
"""

from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from shared.events import topics
from shared.settings import ServiceSettings

# The development secrets `make run` gives the bridge unless others are set (contract 1b): refused in production.
DEVELOPMENT_SECRETS = {
    "whsec_dev_offboarding",
    "pdl_dev_offboarding",
    "dev:dev-offboarding",
    "recurly_dev_offboarding",
    "whsec_ZGV2LW9mZmJvYXJkaW5nLXNlY3JldA==",
}

SECRET_SETTINGS = (
    "stripe_webhook_secret",
    "paddle_webhook_secret",
    "chargebee_webhook_credentials",
    "recurly_webhook_secret",
    "webhook_secret",
)


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BILLING_", frozen=True, extra="ignore")

    database_schema: str = "billing_bridge"  # unused: no database
    http_port: int = 8003
    topic_subscription_cancelled: str = topics.SUBSCRIPTION_CANCELLED
    topic_subscription_reactivated: str = topics.SUBSCRIPTION_REACTIVATED

    stripe_webhook_secret: SecretStr = SecretStr("")
    stripe_api_base: str = "https://api.stripe.com"
    stripe_api_key: SecretStr = SecretStr("")
    stripe_account: str = Field("default", pattern=r"^[A-Za-z0-9_.-]{1,64}$")  # events of a Connect account: theirs
    stripe_tolerance_seconds: int = Field(300, ge=1, le=3600)

    paddle_webhook_secret: SecretStr = SecretStr("")
    paddle_api_base: str = "https://api.paddle.com"
    paddle_api_key: SecretStr = SecretStr("")
    paddle_account: str = Field("default", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    paddle_tolerance_seconds: int = Field(5, ge=1, le=3600)  # the SDK's own default

    chargebee_webhook_credentials: SecretStr = SecretStr("")  # user:password pairs
    chargebee_api_base: str = "https://example.chargebee.com/api/v2"
    chargebee_api_key: SecretStr = SecretStr("")
    chargebee_account: str = Field("default", pattern=r"^[A-Za-z0-9_.-]{1,64}$")  # the Chargebee site

    recurly_webhook_secret: SecretStr = SecretStr("")
    recurly_api_base: str = "https://v3.recurly.com"
    recurly_api_key: SecretStr = SecretStr("")
    recurly_account: str = Field("default", pattern=r"^[A-Za-z0-9_.-]{1,64}$")  # the Recurly site
    recurly_tolerance_seconds: int = Field(300, ge=1, le=3600)

    # Standard Webhooks (/v1/events): whsec_<base64> secrets
    webhook_secret: SecretStr = SecretStr("")

    b2b_when: Literal["company_or_tax_id", "tax_id", "company", "never"] = "company_or_tax_id"
    max_body_bytes: int = Field(512 * 1024, ge=1024, le=16 * 1024 * 1024)
    provider_timeout_seconds: float = Field(3.0, gt=0, le=30)
    kafka_timeout_seconds: float = Field(4.0, gt=0, le=60)  # then 503: providers wait only seconds for an answer
    retry_after_seconds: int = Field(30, ge=1, le=3600)
    rate_per_address: float = Field(50.0, gt=0)  # requests a second per source address (and twice that at once)

    @field_validator("stripe_api_base", "paddle_api_base", "chargebee_api_base", "recurly_api_base")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _real_secrets_in_production(self) -> "Settings":
        if self.environment == "production":
            for name in SECRET_SETTINGS:
                if set(self.secrets(name)) & DEVELOPMENT_SECRETS:
                    raise ValueError(f"BILLING_{name.upper()}: a development secret in production")
        return self

    def secrets(self, name: str) -> list[str]:
        """A secret setting's values (several while one is rotated)."""
        value: SecretStr = getattr(self, name)
        return [s.strip() for s in value.get_secret_value().split(",") if s.strip()]
