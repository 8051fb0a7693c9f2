"""Events billing systems publish (contract section 1): subscription.cancelled and subscription.reactivated."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, model_validator

from shared.events.registry import EventData, EventRegistry

Segment = Literal["b2c", "b2b"]
InitiatedBy = Literal["customer", "merchant", "payment_failure"]

billing_events = EventRegistry()


class Customer(BaseModel):
    # Billing systems add fields over time; unknown ones are ignored rather than rejected.
    model_config = ConfigDict(frozen=True, extra="ignore")

    email: EmailStr
    name: str | None = Field(None, max_length=300)
    locale: str = Field("en", min_length=2, max_length=35)
    timezone: str = Field("UTC", max_length=64)
    segment: Segment = "b2c"
    company: str | None = Field(None, max_length=300)


@billing_events.register
class SubscriptionCancelled(EventData):
    model_config = ConfigDict(frozen=True, extra="ignore")
    event_type = "subscription.cancelled"
    version = 1

    subscription_id: str = Field(min_length=1, max_length=200)
    customer_id: str = Field(min_length=1, max_length=200)
    customer: Customer
    plan: str | None = Field(None, max_length=200)
    initiated_by: InitiatedBy = "customer"
    reason: str | None = Field(None, max_length=200)
    cancelled_at: datetime
    effective_at: datetime | None = None
    marketing_consent: bool = False

    @model_validator(mode="after")
    def _effective_defaults_to_cancelled(self) -> "SubscriptionCancelled":
        if self.effective_at is None:
            object.__setattr__(self, "effective_at", self.cancelled_at)
        if self.cancelled_at.tzinfo is None or self.effective_at.tzinfo is None:
            raise ValueError("cancelled_at and effective_at need a time zone offset (e.g. Z)")
        return self


@billing_events.register
class SubscriptionReactivated(EventData):
    model_config = ConfigDict(frozen=True, extra="ignore")
    event_type = "subscription.reactivated"
    version = 1

    subscription_id: str = Field(min_length=1, max_length=200)
    customer_id: str = Field(min_length=1, max_length=200)
    reactivated_at: datetime
