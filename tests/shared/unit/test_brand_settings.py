"""One brand configuration for the emails and the pages: OFFBOARDING_* reaches both services; a service's own
prefixed setting wins for that service only; nothing set, the defaults."""

import pytest
from pydantic import ValidationError

from notifier.config import Settings as NotifierSettings
from survey.config import Settings as SurveySettings


def test_the_shared_brand_reaches_both_services_and_a_prefixed_one_wins_for_its_service(monkeypatch):
    monkeypatch.setenv("OFFBOARDING_BRAND_NAME", "Engines Ltd")
    monkeypatch.setenv("OFFBOARDING_BRAND_COLOR", "#114477")
    monkeypatch.setenv("OFFBOARDING_REACTIVATE_URL_B2B", "https://portal.example/b2b?s={subscription_id}")
    monkeypatch.setenv("SURVEY_BRAND_COLOR", "#225588")
    notifier, survey = NotifierSettings(), SurveySettings()
    assert notifier.brand().name == survey.brand().name == "Engines Ltd"
    assert (notifier.brand().color, survey.brand().color) == ("#114477", "#225588")
    assert notifier.link("reactivate", subscription_id="a&b", segment="b2b") == "https://portal.example/b2b?s=a%26b"
    assert survey.link("reactivate", subscription_id="a&b", segment="b2b") == "https://portal.example/b2b?s=a%26b"


def test_a_shared_value_is_checked_like_a_service_one(monkeypatch):
    monkeypatch.setenv("OFFBOARDING_BRAND_COLOR", "red; background:url(//evil)")
    with pytest.raises(ValidationError, match="brand_color"):
        SurveySettings()


def test_without_any_brand_setting_the_defaults_hold(monkeypatch):
    for name in ("OFFBOARDING_BRAND_NAME", "NOTIFIER_BRAND_NAME", "SURVEY_BRAND_NAME"):
        monkeypatch.delenv(name, raising=False)
    assert NotifierSettings().brand().name == SurveySettings().brand().name == "Acme"
