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
    # The journey templates and selection.yaml (docs/journeys.md); the Helm chart's `wording:` points it elsewhere.
    templates_dir: Path = SHIPPED_TEMPLATES

    topic_subscription_cancelled: str = topics.SUBSCRIPTION_CANCELLED  # billing publishes cancellations here
    topic_subscription_reactivated: str = topics.SUBSCRIPTION_REACTIVATED  # and reactivations here
    topic_journey_events: str = topics.JOURNEY_EVENTS  # the journeys' public events (offboarding.journey.*)
    topic_survey_responses: str = topics.SURVEY_RESPONSES  # exit-survey answers, from the survey service
    topic_notifier_commands: str = commands.NOTIFIER_COMMANDS  # internal: send commands to the notifier
    topic_survey_commands: str = commands.SURVEY_COMMANDS  # internal: commands to the survey service
    topic_step_results: str = commands.STEP_RESULTS  # internal: what became of each step

    retry_max_attempts: int = Field(5, ge=1, le=50)  # attempts of a step before it is failed
    # Backoff between a step's attempts: base x 2^(attempt-1), capped at the maximum, +-50 % jitter.
    retry_base_delay: timedelta = timedelta(seconds=30)
    retry_max_delay: timedelta = timedelta(hours=1)  # the cap of that backoff
    step_timeout: timedelta = timedelta(minutes=15)  # an attempt without a result by then counts as failed
    # The longest the timer loop sleeps: it wakes at the next due step, or when a step falls due sooner (NOTIFY).
    timer_interval_seconds: float = Field(30.0, gt=0, le=60)
    timer_batch_size: int = Field(100, ge=1, le=5000)  # journeys claimed per timer round
    consumer_max_records: int = Field(500, ge=1, le=10_000)  # Kafka records per batch (one transaction)

    # The HMAC key of the support console's session cookies; production refuses the development one.
    console_secret: SecretStr = SecretStr("dev-console-secret")
    console_session_hours: float = Field(8.0, gt=0, le=168)  # how long a console session lasts
    # The notifier's API, which the console reads (delivery log, previews, suppressions).
    notifier_url: str = "http://127.0.0.1:8001"
    # The survey service's API, which the console reads (answers, insights, dead letters).
    survey_url: str = "http://127.0.0.1:8002"
    # Where customers open their own page (/p/<token>, served by the survey service): its public address, which
    # every email links to. Not the address the console reads the survey service's API at (survey_url).
    customer_page_url: str = Field("http://127.0.0.1:8002", pattern=r"^https?://[^\s/]+(/\S*)?$")
    # The token the console reads those APIs with; unset: the first operator token of OFFBOARDING_API_TOKENS.
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
