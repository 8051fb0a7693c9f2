"""Settings base: every service reads its configuration from environment variables, validated at start-up."""

from datetime import timedelta
from typing import Any, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.auth import DEVELOPMENT_TOKENS, parse_tokens
from shared.messaging.security import client_options

# Marks a plain-text setting that holds a secret (a password in a URL, tokens) for the configuration reference.
SECRET = {"secret": True}


class ConfigurationError(Exception):
    """The service cannot start as configured; the message says what to fix (printed without a traceback)."""


class ServiceSettings(BaseSettings):
    """What every service needs. Subclasses set `env_prefix` (e.g. "ORCHESTRATOR_") for their own keys;
    the shared keys KAFKA_BOOTSTRAP_SERVERS, DATABASE_URL and OFFBOARDING_ENV carry no prefix."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    # `production` refuses development tokens and secrets (and the example brand); `test` is for the test suite.
    environment: Literal["development", "test", "production"] = Field(
        "development", validation_alias=AliasChoices("OFFBOARDING_ENV")
    )
    # The Kafka brokers, host:port comma-separated.
    kafka_bootstrap_servers: str = Field("127.0.0.1:9092", validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS"))
    # Kafka security for production clusters: TLS and SASL (the local stack is plaintext on 127.0.0.1).
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", validation_alias=AliasChoices("KAFKA_SECURITY_PROTOCOL")
    )
    # The SASL mechanism (with a SASL_* protocol).
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = Field(
        "SCRAM-SHA-512", validation_alias=AliasChoices("KAFKA_SASL_MECHANISM")
    )
    # The service's own Kafka user (required with a SASL_* protocol).
    kafka_sasl_username: str | None = Field(None, validation_alias=AliasChoices("KAFKA_SASL_USERNAME"))
    # That user's password.
    kafka_sasl_password: SecretStr | None = Field(None, validation_alias=AliasChoices("KAFKA_SASL_PASSWORD"))
    # CA certificate(s) to trust for the brokers (PEM); unset: the system's CAs.
    kafka_ssl_cafile: str | None = Field(None, validation_alias=AliasChoices("KAFKA_SSL_CAFILE"))
    # A client certificate (PEM), for mutual TLS.
    kafka_ssl_certfile: str | None = Field(None, validation_alias=AliasChoices("KAFKA_SSL_CERTFILE"))
    # The client certificate's key (PEM), for mutual TLS.
    kafka_ssl_keyfile: str | None = Field(None, validation_alias=AliasChoices("KAFKA_SSL_KEYFILE"))
    # The PostgreSQL database, as the service's own login (postgresql://user:password@host:5432/db; postgres:// and
    # postgresql+asyncpg:// are accepted too). It may hold a password: keep it in a secret store.
    database_url: str = Field(
        "postgresql+asyncpg://postgres@127.0.0.1:5432/offboarding",
        validation_alias=AliasChoices("DATABASE_URL"),
        json_schema_extra=SECRET,
    )
    # The schema holding the service's tables (each service has its own in the database DATABASE_URL names).
    database_schema: str = ""
    # The role the migrations grant the service's tables to (and create, NOLOGIN, if missing); the service's own
    # login is a member of it (docs/security.md). Empty: no grants (tables stay the migrating user's alone).
    database_role: str = Field("", pattern=r"^([a-z_][a-z0-9_]{0,62})?$")
    # Database connections per process (and as many again in bursts).
    database_pool_size: int = Field(10, ge=1, le=100)
    # Bearer tokens of the /v1 API: "token:role,token:role" (roles viewer, operator). `make run` sets
    # dev-viewer:viewer,dev-operator:operator; production refuses those and tokens under 24 characters.
    api_tokens: str = Field("", validation_alias=AliasChoices("OFFBOARDING_API_TOKENS"), json_schema_extra=SECRET)
    # The lowest level logged.
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # auto: readable lines (structlog's console renderer) when stdout is a terminal, JSON lines otherwise
    log_format: Literal["auto", "json", "console"] = "auto"
    # Loopback unless told otherwise: a container or a pod sets 0.0.0.0 explicitly (compose, Helm).
    http_host: str = "127.0.0.1"
    # The HTTP port.
    http_port: int = Field(8000, ge=1, le=65535)
    # Proxies whose X-Forwarded-For / -Proto are believed (comma-separated addresses or networks, "*" for any):
    # none by default, so a client's address is its TCP peer. Name your load balancer here, and only it.
    forwarded_allow_ips: str = Field("", max_length=2000)
    # Partitions of the topics the service creates: the most replicas a consumer group can use.
    topic_partitions: int = Field(6, ge=1, le=256)
    # How long the internal topics (commands, results) keep messages; set when a topic is created. The recipient
    # in a command is sealed (shared.sealing), so what an erasure leaves there is unreadable either way.
    internal_topic_retention: timedelta = Field(timedelta(days=7), ge=timedelta(hours=1), le=timedelta(days=90))
    # A signed internal message older than this is refused as `expired` (shared.messaging.authenticity): the
    # topic's retention would have deleted the original, so it is a copy written again. Default: the retention
    # and a day (for the outbox's lag and clocks that disagree).
    internal_message_max_age: timedelta | None = Field(None, ge=timedelta(hours=1), le=timedelta(days=91))
    # Outbox rows published per relay round.
    outbox_batch_size: int = Field(500, ge=1, le=10_000)
    # The relay is woken by NOTIFY when rows are committed (and when its listening connection drops); this is only
    # its last-resort poll. Polling costs CPU on a quiet day in every replica.
    outbox_idle_seconds: float = Field(30.0, gt=0, le=300)
    # A message whose handling fails (not the database or Kafka being away) is tried this often in all, then
    # dead-lettered as processing_failed.
    consumer_max_attempts: int = Field(3, ge=1, le=20)
    # The first pause between those tries (doubling).
    consumer_retry_delay_seconds: float = Field(0.2, ge=0, le=60)
    # A consumer with lag whose committed offset has not moved for this long is reported stalled (/readyz).
    consumer_stall_seconds: float = Field(60.0, gt=0, le=3600)

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
    def _kafka_credentials_complete(self) -> "ServiceSettings":
        if self.kafka_security_protocol.startswith("SASL_") and not (
            self.kafka_sasl_username and self.kafka_sasl_password
        ):
            raise ValueError(
                f"KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"
            )
        return self

    def message_max_age(self) -> timedelta:
        return self.internal_message_max_age or self.internal_topic_retention + timedelta(days=1)

    def kafka_options(self) -> dict[str, Any]:
        """Security options for every Kafka client this service creates."""
        return client_options(
            security_protocol=self.kafka_security_protocol,
            sasl_mechanism=self.kafka_sasl_mechanism,
            sasl_username=self.kafka_sasl_username,
            sasl_password=self.kafka_sasl_password.get_secret_value() if self.kafka_sasl_password else None,
            ssl_cafile=self.kafka_ssl_cafile,
            ssl_certfile=self.kafka_ssl_certfile,
            ssl_keyfile=self.kafka_ssl_keyfile,
        )

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
