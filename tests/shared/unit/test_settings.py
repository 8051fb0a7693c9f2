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
    for name, value in {**OWN_BRAND, **OWN_SENDER}.items():  # the brand has a test of its own (below)
        monkeypatch.setenv(name, value)
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


def _production_with_real_secrets(monkeypatch) -> None:
    monkeypatch.setenv("OFFBOARDING_ENV", "production")
    monkeypatch.setenv("OFFBOARDING_API_TOKENS", "a" * 30 + ":operator")
    for name in ("NOTIFIER_WEBHOOK_SECRET", "NOTIFIER_RETURN_PATH_KEY", "NOTIFIER_ADDRESS_KEY", "SURVEY_TOKEN_SECRET"):
        monkeypatch.setenv(name, "r" * 32)


OWN_BRAND = {
    "OFFBOARDING_BRAND_NAME": "Northwind",
    "OFFBOARDING_POSTAL_ADDRESS": "Hafenstraße 1, 20457 Hamburg",
    "OFFBOARDING_SUPPORT_EMAIL": "help@northwind.example.com",
    "OFFBOARDING_PRIVACY_URL": "https://northwind.example.com/privacy",
    "OFFBOARDING_EXPORT_URL": "https://app.northwind.example.com/export?s={subscription_id}",
    "OFFBOARDING_REACTIVATE_URL": "https://app.northwind.example.com/resume?s={subscription_id}",
    "OFFBOARDING_PAYMENT_UPDATE_URL": "https://app.northwind.example.com/card?s={subscription_id}",
    "OFFBOARDING_APP_URL": "https://app.northwind.example.com/",
}
OWN_SENDER = {
    "NOTIFIER_MAIL_FROM": "Northwind <goodbye@northwind.example.com>",
    "NOTIFIER_BOUNCE_DOMAIN": "bounces.northwind.example.com",
    "NOTIFIER_MESSAGE_ID_DOMAIN": "offboarding.northwind.example.com",
}


def test_the_example_brand_and_sender_are_refused_in_production(monkeypatch):
    """A production installation that forgot its brand would write to customers as "Acme, 1 Example Street"."""
    from notifier.config import Settings as NotifierSettings
    from survey.config import Settings as SurveySettings

    _production_with_real_secrets(monkeypatch)
    with pytest.raises(ValidationError, match="example brand in production: set OFFBOARDING_BRAND_NAME"):
        SurveySettings()
    for name, value in OWN_BRAND.items():
        monkeypatch.setenv(name, value)
    assert SurveySettings().brand().name == "Northwind"
    with pytest.raises(ValidationError, match="example sender in production: set NOTIFIER_MAIL_FROM"):
        NotifierSettings()
    for name, value in OWN_SENDER.items():
        monkeypatch.setenv(name, value)
    assert NotifierSettings().from_domain() == "northwind.example.com"
    monkeypatch.delenv("OFFBOARDING_APP_URL")
    with pytest.raises(ValidationError, match="set OFFBOARDING_APP_URL to your own"):
        NotifierSettings()
    monkeypatch.setenv("OFFBOARDING_ENV", "development")
    assert NotifierSettings().brand().name == "Northwind", "development keeps the example defaults where unset"
