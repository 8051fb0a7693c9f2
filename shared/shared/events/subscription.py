"""Events billing systems publish (contract section 1): subscription.cancelled and subscription.reactivated.

These models are the one place where a billing event is judged (the input limits in docs/input-limits.md):
- ids must be plain text (no control characters or invalid Unicode), else the event is dead-lettered;
- dates need a time zone offset and must lie between 1970-01-01 and ten years from now;
- names, company, plan and reason are cleaned of control characters, separators and overrides;
- an unknown time zone becomes UTC and an unusable locale English; optional fields sent as null take their
  defaults;
- `marketing_consent` is consent only as JSON `true`: any other value ("yes", "on", 1) counts as `false`;
- an `effective_at` before `cancelled_at` (access cannot end before it was cancelled) becomes `cancelled_at`.
What was cleaned or defaulted is listed in `cleaned` (never stored, logged as reason codes).
"""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, StrictBool, model_validator

from shared.events.registry import EventData, EventRegistry
from shared.i18n import DEFAULT_LOCALE, DEFAULT_TIMEZONE, known_locale, known_timezone, normal_locale
from shared.text import PlainId, clean_line, optional_line

Segment = Literal["b2c", "b2b"]
InitiatedBy = Literal["customer", "merchant", "payment_failure"]

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
HORIZON = timedelta(days=3653)  # ten years ahead: anything later is a typo or a sentinel such as 9999-12-31

billing_events = EventRegistry()


def _sane_moment(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("needs a time zone offset (e.g. Z)")
    if not EARLIEST <= moment <= datetime.now(UTC) + HORIZON:
        raise ValueError("must lie between 1970-01-01 and ten years from now")
    return moment


Moment = Annotated[datetime, AfterValidator(_sane_moment)]


def _not_a_dot_segment(value: str) -> str:
    # "." and ".." cannot stand for themselves in a URL path (RFC 3986 removes them), so no route could take them.
    if value in (".", ".."):
        raise ValueError('"." and ".." cannot be ids (they cannot be a path segment)')
    return value


# An id: plain text (no control characters), 1 to 200 characters, not "." or "..". In a URL path a client
# percent-encodes it whole ("/" as %2F), and every route takes it (docs/input-limits.md).
Id = Annotated[PlainId, Field(min_length=1, max_length=200), AfterValidator(_not_a_dot_segment)]
PersonText = optional_line(300)  # a name or a company
Code = optional_line(200)  # a plan or a reason, as the billing system names them


class Customer(BaseModel):
    # Billing systems add fields over time; unknown ones are ignored rather than rejected.
    model_config = ConfigDict(frozen=True, extra="ignore")

    email: EmailStr
    name: PersonText = None
    locale: str = Field(DEFAULT_LOCALE, min_length=2, max_length=35)
    timezone: str = Field(DEFAULT_TIMEZONE, max_length=64)
    segment: Segment = "b2c"
    company: PersonText = None


@billing_events.register
class SubscriptionCancelled(EventData):
    model_config = ConfigDict(frozen=True, extra="ignore")
    event_type = "subscription.cancelled"
    version = 1

    subscription_id: Id
    customer_id: Id
    customer: Customer
    plan: Code = None
    initiated_by: InitiatedBy = "customer"
    reason: Code = None
    cancelled_at: Moment
    effective_at: Moment | None = None
    # Only JSON true is consent (the law asks for an unambiguous act): anything else is cleaned to false.
    marketing_consent: StrictBool = False
    # b2b: the name of the customer's account manager at the company, for the messages that introduce them.
    account_manager: PersonText = None
    # Reason codes of what the intake cleaned or defaulted ("customer.timezone:unknown_defaulted_to_utc").
    cleaned: tuple[str, ...] = Field((), exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _clean_and_default(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        notes: list[str] = []
        data = _without_nulls(
            data, ("plan", "reason", "effective_at", "initiated_by", "marketing_consent", "account_manager")
        )
        customer = data.get("customer")
        if isinstance(customer, dict):
            customer = _without_nulls(customer, ("name", "company", "locale", "timezone", "segment"))
            notes += _clean_lines(customer, ("name", "company"), prefix="customer.")
            if "timezone" in customer and not known_timezone(customer["timezone"]):
                customer["timezone"] = DEFAULT_TIMEZONE
                notes.append("customer.timezone:unknown_defaulted_to_utc")
            if "locale" in customer:
                if known_locale(customer["locale"]):
                    customer["locale"] = normal_locale(customer["locale"])
                else:
                    customer["locale"] = DEFAULT_LOCALE
                    notes.append("customer.locale:unknown_defaulted_to_en")
            data["customer"] = customer
        notes += _clean_lines(data, ("plan", "reason", "account_manager"))
        if "marketing_consent" in data and not isinstance(data["marketing_consent"], bool):
            data["marketing_consent"] = False
            notes.append("marketing_consent:not_a_boolean_treated_as_false")
        data["cleaned"] = tuple(notes)
        return data

    @model_validator(mode="after")
    def _effective_defaults_to_cancelled(self) -> "SubscriptionCancelled":
        if self.effective_at is None:
            object.__setattr__(self, "effective_at", self.cancelled_at)
        elif self.effective_at < self.cancelled_at:
            object.__setattr__(self, "effective_at", self.cancelled_at)
            object.__setattr__(self, "cleaned", (*self.cleaned, "effective_at:before_cancelled_at_set_to_it"))
        return self


@billing_events.register
class SubscriptionReactivated(EventData):
    model_config = ConfigDict(frozen=True, extra="ignore")
    event_type = "subscription.reactivated"
    version = 1

    subscription_id: Id
    customer_id: Id
    reactivated_at: Moment


def _without_nulls(values: dict, optional: tuple[str, ...]) -> dict:
    """A copy without the optional keys that are null, so that they take their documented defaults."""
    return {k: v for k, v in values.items() if not (k in optional and v is None)}


def _clean_lines(values: dict, keys: tuple[str, ...], *, prefix: str = "") -> list[str]:
    """Clean these text fields in place (before validation: pydantic refuses a lone surrogate outright)."""
    notes = []
    for key in keys:
        if isinstance(values.get(key), str):
            cleaned = clean_line(values[key])
            if cleaned != values[key].strip():
                notes.append(f"{prefix}{key}:cleaned")
            values[key] = cleaned
    return notes
