"""The notifier's settings: environment variables prefixed NOTIFIER_ (shared ones have no prefix)."""

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFIER_", frozen=True, extra="ignore")

    database_schema: str = "notifier"
    http_port: int = 8001
