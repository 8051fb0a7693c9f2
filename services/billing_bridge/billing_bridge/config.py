"""The billing bridge's settings: environment variables prefixed BILLING_ (shared ones have no prefix). The bridge
has no database: DATABASE_URL is not read.

Each secret setting takes several values, comma-separated: a provider's old and new secret both pass while it is
rotated. A provider without a secret is not served (its route answers 404).
"""

from typing import ClassVar, Literal

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
    # Shared settings the bridge does not read (no database, no outbox, no consumers): the reference leaves them out.
    NOT_READ: ClassVar[frozenset[str]] = frozenset(
        {
            "database_url",
            "database_schema",
            "database_role",
            "database_pool_size",
            "api_tokens",
            "outbox_batch_size",
            "outbox_idle_seconds",
            "consumer_max_attempts",
            "consumer_retry_delay_seconds",
            "consumer_stall_seconds",
            "internal_topic_retention",
            "internal_message_max_age",
        }
    )

    database_schema: str = "billing_bridge"  # unused: no database
    http_port: int = 8003
    topic_subscription_cancelled: str = topics.SUBSCRIPTION_CANCELLED  # where cancellations are published
    topic_subscription_reactivated: str = topics.SUBSCRIPTION_REACTIVATED  # where reactivations are published

    # Stripe endpoint secrets (whsec_...); none: /webhooks/stripe answers 404
    stripe_webhook_secret: SecretStr = SecretStr("")
    stripe_api_base: str = "https://api.stripe.com"  # where the customer's facts are fetched
    stripe_api_key: SecretStr = SecretStr("")  # a restricted key that may read customers
    stripe_account: str = Field("default", pattern=r"^[A-Za-z0-9_.-]{1,64}$")  # events of a Connect account: theirs
    stripe_tolerance_seconds: int = Field(300, ge=1, le=3600)  # how old a signed timestamp may be

    # Paddle notification destination secrets; none: /webhooks/paddle answers 404
    paddle_webhook_secret: SecretStr = SecretStr("")
    paddle_api_base: str = "https://api.paddle.com"  # where the customer's facts are fetched
    paddle_api_key: SecretStr = SecretStr("")  # an API key that may read customers
    paddle_account: str = Field("default", pattern=r"^[A-Za-z0-9_.-]{1,64}$")  # the account name in event ids
    paddle_tolerance_seconds: int = Field(5, ge=1, le=3600)  # the SDK's own default

    # Chargebee's webhook Basic authentication, user:password pairs; none: /webhooks/chargebee answers 404
    chargebee_webhook_credentials: SecretStr = SecretStr("")
    chargebee_api_base: str = "https://example.chargebee.com/api/v2"  # your site's API
    chargebee_api_key: SecretStr = SecretStr("")  # a read-only API key
    chargebee_account: str = Field("default", pattern=r"^[A-Za-z0-9_.-]{1,64}$")  # the Chargebee site

    # Recurly webhook endpoint secret keys; none: /webhooks/recurly answers 404
    recurly_webhook_secret: SecretStr = SecretStr("")
    recurly_api_base: str = "https://v3.recurly.com"  # where the customer's facts are fetched
    recurly_api_key: SecretStr = SecretStr("")  # an API key that may read accounts
    recurly_account: str = Field("default", pattern=r"^[A-Za-z0-9_.-]{1,64}$")  # the Recurly site
    recurly_tolerance_seconds: int = Field(300, ge=1, le=3600)  # how old a signed timestamp may be

    # Standard Webhooks (/v1/events): whsec_<base64> secrets; none: /v1/events answers 404
    webhook_secret: SecretStr = SecretStr("")

    # When a customer is b2b: with a company name or a tax id (the default), only either, or never.
    b2b_when: Literal["company_or_tax_id", "tax_id", "company", "never"] = "company_or_tax_id"
    max_body_bytes: int = Field(512 * 1024, ge=1024, le=16 * 1024 * 1024)  # larger webhook bodies: 413
    provider_timeout_seconds: float = Field(3.0, gt=0, le=30)  # per call to a provider's API
    kafka_timeout_seconds: float = Field(4.0, gt=0, le=60)  # then 503: providers wait only seconds for an answer
    retry_after_seconds: int = Field(30, ge=1, le=3600)  # the Retry-After of a 503
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
