"""Who the customer-facing messages and pages come from: the brand and the company's links, one configuration
for the notifier's emails and the survey's pages, so that both look like one company: `OFFBOARDING_BRAND_NAME`,
`OFFBOARDING_EXPORT_URL`, ... read by both services; a service's own `<PREFIX>BRAND_NAME` (NOTIFIER_, SURVEY_),
when set, wins for that service."""

import os
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator

from shared import links
from shared.text import clean_line

LINK_PLACEHOLDERS = {"subscription_id"}
# The settings whose defaults are the example company's: production refuses to start with any of them unset.
EXAMPLE_BRAND_SETTINGS = (
    "brand_name",
    "postal_address",
    "support_email",
    "privacy_url",
    "export_url",
    "reactivate_url",
    "payment_update_url",
    "app_url",
)


@dataclass(frozen=True)
class Brand:
    name: str
    company: str  # the legal name the footer gives
    color: str  # #rrggbb: header line, buttons, links (white text on it must stay readable)
    logo_url: str | None
    postal_address: str
    support_email: str
    privacy_url: str


SHARED_PREFIX = "OFFBOARDING_"


class BrandSettings(BaseModel):
    """Mixed into a service's Settings: the notifier's emails and the survey service's pages (the exit survey, the
    customer's own page) read the same names: OFFBOARDING_<NAME> for both, or <PREFIX><NAME> for one service."""

    @model_validator(mode="before")
    @classmethod
    def _shared_brand(cls, data: Any) -> Any:
        """A brand field the service's own settings leave unset comes from OFFBOARDING_<FIELD>, if that is set."""
        if not isinstance(data, dict):
            return data
        shared = {
            name: os.environ[f"{SHARED_PREFIX}{name.upper()}"]
            for name in BrandSettings.model_fields
            if name not in data and f"{SHARED_PREFIX}{name.upper()}" in os.environ
        }
        return data | shared

    brand_name: str = Field("Acme", min_length=1, max_length=100)  # the name in headers and footers
    brand_company: str | None = Field(None, max_length=200)  # the footer's legal name; the brand name when unset
    brand_color: str = Field("#0b62d6", pattern=r"^#[0-9a-fA-F]{6}$")  # #rrggbb: header line, buttons, links
    brand_logo_url: str | None = Field(None, pattern=r"^https://\S+$", max_length=500)  # https; else the name
    postal_address: str = Field("1 Example Street, 10115 Berlin, Germany", max_length=300)  # in every footer
    support_email: str = "support@acme.example"  # where customers write to
    privacy_url: str = Field("https://acme.example/privacy", pattern=r"^https?://\S+$")  # your privacy policy

    def brand(self) -> Brand:
        return Brand(
            name=clean_line(self.brand_name),
            company=clean_line(self.brand_company or self.brand_name),
            color=self.brand_color,
            logo_url=self.brand_logo_url,
            postal_address=clean_line(self.postal_address),
            support_email=self.support_email,
            privacy_url=self.privacy_url,
        )

    # The company's own pages a message or the customer's page links to ({subscription_id} is filled in,
    # percent-encoded: shared/links.py). The way back may differ per segment (a b2b customer portal, say).
    export_url: str = "https://app.acme.example/account/export?subscription={subscription_id}"  # data export
    reactivate_url: str = "https://app.acme.example/account/reactivate?subscription={subscription_id}"  # way back
    reactivate_url_b2b: str | None = None  # the b2b way back (a customer portal, say); reactivate_url when unset
    # Where a customer whose payment failed updates it.
    payment_update_url: str = "https://app.acme.example/account/billing?subscription={subscription_id}"
    app_url: str = "https://app.acme.example/"  # your application

    @model_validator(mode="after")
    def _own_brand_in_production(self) -> "BrandSettings":
        """The shipped brand is an example ("Acme", an example street, acme.example links): a production
        installation that forgot to set its own would mail customers in a made-up company's name."""
        if getattr(self, "environment", None) == "production":
            example = [
                f"{SHARED_PREFIX}{name.upper()}"
                for name in EXAMPLE_BRAND_SETTINGS
                if getattr(self, name) == type(self).model_fields[name].default
            ]
            if example:
                raise ValueError(f"the example brand in production: set {', '.join(example)} to your own")
        return self

    @field_validator("export_url", "reactivate_url", "reactivate_url_b2b", "payment_update_url")
    @classmethod
    def _link_template(cls, value: str | None) -> str | None:
        return None if not value else links.check_template(value, allowed=LINK_PLACEHOLDERS)

    def link(self, name: str, *, subscription_id: str, segment: str = "b2c") -> str:
        """A company link filled in for one subscription: `export`, `reactivate` (per segment), `payment_update`."""
        template = getattr(self, f"{name}_url")
        if name == "reactivate" and segment == "b2b" and self.reactivate_url_b2b:
            template = self.reactivate_url_b2b
        return links.fill(template, subscription_id=subscription_id)
