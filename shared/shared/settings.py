"""Settings base: every service reads its configuration from environment variables, validated at start-up."""

from typing import Literal

from pydantic import AliasChoices, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.auth import DEVELOPMENT_TOKENS, parse_tokens


class ConfigurationError(Exception):
    """The service cannot start as configured; the message says what to fix (printed without a traceback)."""


class ServiceSettings(BaseSettings):
    """What every service needs. Subclasses set `env_prefix` (e.g. "ORCHESTRATOR_") for their own keys;
    the shared keys KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL and OFFBOARDING_ENV carry no prefix."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    environment: Literal["development", "test", "production"] = Field(
        "development", validation_alias=AliasChoices("OFFBOARDING_ENV")
    )
    kafka_bootstrap_servers: str = Field("127.0.0.1:9092", validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS"))
    database_url: str = Field(
        "postgresql+asyncpg://postgres@127.0.0.1:5432/offboarding",
        validation_alias=AliasChoices("DATABASE_URL"),
    )
    # Each service keeps its tables in its own schema of the database DATABASE_URL names.
    database_schema: str = ""
    database_pool_size: int = Field(10, ge=1, le=100)
    # Bearer tokens for the /v1 routes: "token:role,token:role" (roles viewer, operator).
    api_tokens: str = Field("", validation_alias=AliasChoices("OFFBOARDING_API_TOKENS"))
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    http_host: str = "0.0.0.0"  # noqa: S104 - a service in a container listens on all interfaces
    http_port: int = Field(8000, ge=1, le=65535)
    topic_partitions: int = Field(6, ge=1, le=256)
    outbox_batch_size: int = Field(500, ge=1, le=10_000)
    # The relay is woken by NOTIFY when rows are committed; this is only its fallback polling interval.
    outbox_idle_seconds: float = Field(1.0, gt=0, le=60)

    @field_validator("database_url")
    @classmethod
    def _asyncpg_driver(cls, url: str) -> str:
        """Accept the usual postgres:// and postgresql:// forms and use the asyncpg driver."""
        for plain in ("postgres://", "postgresql://"):
            if url.startswith(plain):
                return "postgresql+asyncpg://" + url.removeprefix(plain)
        if not url.startswith("postgresql+asyncpg://"):
            raise ValueError("DATABASE_URL must be a postgresql:// URL")
        return url

    @model_validator(mode="after")
    def _real_tokens_in_production(self) -> "ServiceSettings":
        tokens = parse_tokens(self.api_tokens)
        if self.environment == "production":
            weak = [t[:4] + "…" for t in tokens if t in DEVELOPMENT_TOKENS or len(t) < 24]
            if weak:
                raise ValueError(f"OFFBOARDING_API_TOKENS: development or short tokens in production: {weak}")
        return self

    def refuse_development_secret(self, name: str, value: str) -> None:
        """Services call this for their own secrets: a development default must not reach production."""
        if self.environment == "production" and (value.startswith("dev-") or len(value) < 24):
            raise ValueError(f"{name}: set a real secret (24+ characters) in production")

    @field_validator("database_schema")
    @classmethod
    def _plain_identifier(cls, schema: str) -> str:
        if schema and not schema.replace("_", "").isalnum():
            raise ValueError("the database schema must be letters, digits and underscores")
        return schema
