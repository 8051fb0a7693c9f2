"""Settings: shared keys without prefix, a service's own with it, bad values refused at start-up."""

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class ExampleSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="EXAMPLE_")
    database_schema: str = "example"


def test_shared_and_prefixed_keys(monkeypatch):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "broker:9092")
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db:5432/x")
    monkeypatch.setenv("EXAMPLE_HTTP_PORT", "8123")
    settings = ExampleSettings()
    assert settings.kafka_bootstrap_servers == "broker:9092"
    assert settings.database_url == "postgresql+asyncpg://u:p@db:5432/x"
    assert settings.http_port == 8123


@pytest.mark.parametrize(
    ("key", "value"), [("DATABASE_URL", "mysql://x"), ("EXAMPLE_DATABASE_SCHEMA", "a;drop"), ("EXAMPLE_HTTP_PORT", "0")]
)
def test_bad_values_are_refused(monkeypatch, key, value):
    monkeypatch.setenv(key, value)
    with pytest.raises(ValidationError):
        ExampleSettings()


def test_development_secrets_are_refused_in_production(monkeypatch):
    from notifier.config import Settings as NotifierSettings
    from survey.config import Settings as SurveySettings

    monkeypatch.setenv("OFFBOARDING_ENV", "production")
    monkeypatch.setenv("OFFBOARDING_API_TOKENS", "a" * 30 + ":operator")
    with pytest.raises(ValidationError, match="NOTIFIER_WEBHOOK_SECRET"):
        NotifierSettings()
    with pytest.raises(ValidationError, match="SURVEY_TOKEN_SECRET"):
        SurveySettings()
    monkeypatch.setenv("NOTIFIER_WEBHOOK_SECRET", "s" * 32)
    monkeypatch.setenv("SURVEY_TOKEN_SECRET", "t" * 32)
    with pytest.raises(ValidationError, match="NOTIFIER_RETURN_PATH_KEY"):
        NotifierSettings()
    monkeypatch.setenv("NOTIFIER_RETURN_PATH_KEY", "r" * 32)
    with pytest.raises(ValidationError, match="NOTIFIER_ADDRESS_KEY"):
        NotifierSettings()
    monkeypatch.setenv("NOTIFIER_ADDRESS_KEY", "k" * 32)
    assert NotifierSettings().webhook_secret.get_secret_value() == "s" * 32
    assert SurveySettings().token_secret.get_secret_value() == "t" * 32
    monkeypatch.setenv("OFFBOARDING_API_TOKENS", "dev-operator:operator")
    with pytest.raises(ValidationError, match="development or short tokens"):
        SurveySettings()
