"""The brand settings a deployment gives the emails and the survey pages: what is not a colour, not an https
logo or not a web privacy link stops the service at start-up, with the setting named; text is cleaned."""

import pytest
from pydantic import ValidationError

from shared.brand import BrandSettings


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("brand_color", "red"),
        ("brand_color", "#0b62d6;background:url(https://t.example)"),
        ("brand_logo_url", "http://cdn.example/logo.png"),
        ("brand_logo_url", "javascript:alert(1)"),
        ("brand_logo_url", "https://cdn.example/a logo.png"),
        ("privacy_url", "javascript:alert(1)"),
        ("brand_name", ""),
    ],
)
def test_a_setting_that_could_break_the_layout_is_refused(setting, value):
    with pytest.raises(ValidationError, match=setting):
        BrandSettings(**{setting: value})


def test_names_and_the_address_are_cleaned_to_one_line():
    brand = BrandSettings(brand_name="Acme\u202e\n", postal_address="1 Main St\r\nSpringfield").brand()
    assert brand.name == "Acme" and brand.company == "Acme"
    assert brand.postal_address == "1 Main St Springfield"
