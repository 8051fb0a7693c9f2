"""The orchestrator's settings: environment variables prefixed ORCHESTRATOR_ (shared ones have no prefix)."""

from datetime import timedelta
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.auth import RANK, parse_tokens
from shared.events import commands, topics
from shared.settings import ServiceSettings

SHIPPED_TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ORCHESTRATOR_", frozen=True, extra="ignore")

    database_schema: str = "orchestrator"
    database_role: str = Field("offboarding_orchestrator", pattern=r"^([a-z_][a-z0-9_]{0,62})?$")
    # The database roles of the services that read journey_keys (to check signatures, open recipients, seal
    # survey links): granted SELECT on that one table, nothing else of this schema.
    keyring_readers: str = Field(
        "offboarding_notifier,offboarding_survey", pattern=r"^([a-z_][a-z0-9_]{0,62})?(,[a-z_][a-z0-9_]{0,62})*$"
    )
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

    # The support console (/console): sessions signed with this key; the notifier's and the survey service's
    # APIs, which it reads; and the token it reads them with (default: the first operator token, else viewer).
    console_secret: SecretStr = SecretStr("dev-console-secret")
    console_session_hours: float = Field(8.0, gt=0, le=168)
    notifier_url: str = "http://127.0.0.1:8001"
    survey_url: str = "http://127.0.0.1:8002"
    # Where customers open their own page (/p/<token>, served by the survey service): its public address, which
    # every email links to. Not the address the console reads the survey service's API at (survey_url).
    customer_page_url: str = Field("http://127.0.0.1:8002", pattern=r"^https?://[^\s/]+(/\S*)?$")
    console_peer_token: SecretStr | None = None

    @model_validator(mode="after")
    def _real_console_secret_in_production(self) -> "Settings":
        self.refuse_development_secret("ORCHESTRATOR_CONSOLE_SECRET", self.console_secret.get_secret_value())
        return self

    def peer_token(self) -> str | None:
        if self.console_peer_token is not None:
            return self.console_peer_token.get_secret_value()
        tokens = sorted(parse_tokens(self.api_tokens).items(), key=lambda pair: -RANK[pair[1]])
        return tokens[0][0] if tokens else None
