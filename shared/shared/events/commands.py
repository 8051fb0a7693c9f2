"""Messages between the services: step commands from the orchestrator, results back, erasure, survey answers.

Each is the `data` of a CloudEvent, versioned through the registry, and each goes out signed with its journey's
MAC key (shared.signing), which the reader checks first (shared.messaging.authenticity). Commands carry only
what the receiving service needs; personal data (the recipient) and secrets (a survey link) travel only sealed
with the journey's key (shared.sealing): no plain-text form is accepted.
"""

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field

from shared.events.registry import EventData, EventRegistry
from shared.sealing import Sealed

# Internal topics (names configurable in each service's settings).
NOTIFIER_COMMANDS = "offboarding.notifier.commands"
SURVEY_COMMANDS = "offboarding.survey.commands"
STEP_RESULTS = "offboarding.step.results"

service_messages = EventRegistry()


class Recipient(BaseModel):
    model_config = ConfigDict(frozen=True)

    email: EmailStr
    name: str | None = None
    company: str | None = None
    locale: str = "en"
    timezone: str = "UTC"
    account_manager: str | None = None  # b2b: who at the company looks after this customer (a name: sealed)
    # The customer's own off-boarding page (a secret: whoever has it sees the page), linked from every email.
    page_url: str | None = None


class StepCommand(EventData):
    """What every step command says about where it belongs. The CloudEvent id is the command id."""

    journey_id: str
    subscription_id: str
    customer_id: str
    step: str
    attempt: int = Field(ge=1)


class MessageCommand(StepCommand):
    """What a message step says besides its recipient: the message, its channel and stream, the facts."""

    message: str  # the notifier's template name
    channel: Literal["email", "webhook"]
    category: Literal["transactional", "marketing"]
    segment: Literal["b2c", "b2b"]
    marketing_consent: bool = False
    # Non-personal facts the message may show: plan, cancelled_at, effective_at, reason, template, deletion_at.
    facts: dict[str, Any] = Field(default_factory=dict)


@service_messages.register
class SendMessage(MessageCommand):
    event_type = "offboarding.command.send_message"

    # A Recipient, sealed (shared.sealing: a key per journey, deleted on erasure). There is no plain form.
    sealed_recipient: Sealed
    # The exit survey's link (a secret: whoever has it answers the survey), sealed by the survey service.
    sealed_survey_url: Sealed | None = None
    # A help request's own words (message, phone), sealed by the survey service: the helpdesk hand-over shows them.
    sealed_help: Sealed | None = None


@service_messages.register
class CreateSurvey(StepCommand):
    event_type = "offboarding.command.create_survey"

    segment: Literal["b2c", "b2b"]
    locale: str = "en"
    plan: str | None = None
    reason: str | None = None
    template: str | None = None  # the journey's template, for insights per template


@service_messages.register
class ErasePersonalData(EventData):
    """Forget this journey's personal data (its retention ended, or the customer asked)."""

    event_type = "offboarding.command.erase_personal_data"

    journey_id: str
    subscription_id: str
    customer_id: str


@service_messages.register
class StepResult(EventData):
    """A service's answer to a step command. `data` carries e.g. survey_id and sealed_survey_url (a Sealed
    link, never a plain one) or provider_message_id.

    `deferred`: not now (e.g. quiet hours for marketing mail); the orchestrator sends the command again at
    `not_before`, without counting an attempt."""

    event_type = "offboarding.step.result"

    command_id: str
    journey_id: str
    subscription_id: str
    step: str
    attempt: int = Field(ge=1)
    outcome: Literal["succeeded", "failed", "skipped", "deferred"]
    reason: str | None = Field(None, max_length=1000)
    retryable: bool = True
    not_before: datetime | None = None
    data: dict[str, Any] = Field(default_factory=dict)


@service_messages.register
class CustomerUnsubscribed(EventData):
    """The notifier to the orchestrator, on the step results topic: the customer used the one-click unsubscribe
    link of a marketing message of this journey (once per link). Ids and the moment only: insights count it per
    experiment variant, and support sees it on the journey's timeline."""

    event_type = "offboarding.customer.unsubscribed"

    journey_id: str
    subscription_id: str
    customer_id: str
    unsubscribed_at: datetime


@service_messages.register
class DeliveryFeedbackReported(EventData):
    """The notifier to the orchestrator, on the step results topic: something came back about an email of this
    journey (a hard or soft bounce, a complaint), once per email, kind and source. Codes only, no address: the
    journey's timeline shows the email's fate, and an unreachable customer goes on support's attention list."""

    event_type = "offboarding.delivery.feedback"

    journey_id: str
    subscription_id: str
    customer_id: str
    step: str
    kind: Literal["hard", "soft", "complaint"]
    reason_code: str = Field(max_length=40)
    source: str = Field(max_length=20)
    occurred_at: datetime


@service_messages.register
class SurveyResponseSubmitted(EventData):
    """Public (contract section 2): one per exit-survey answer, on survey.responses."""

    event_type = "survey.response.submitted"

    journey_id: str
    subscription_id: str
    customer_id: str
    segment: Literal["b2c", "b2b"]
    reason: str
    score: int = Field(ge=0, le=10)
    comment: str | None = Field(None, max_length=5000)
    may_contact: bool
    submitted_at: datetime | None = None


@service_messages.register
class UpdateCustomerPage(EventData):
    """The orchestrator to the survey service, on the survey commands topic: what the leaving customer's own page
    shows, as the journey now stands; sent when the journey starts and whenever its status changes. The page's
    link is known only as the SHA-256 of its token; `updated_at` orders the updates (an older one is ignored).
    The account manager's name, the one personal datum, travels sealed with the journey's key."""

    event_type = "offboarding.command.update_customer_page"

    journey_id: str
    subscription_id: str
    customer_id: str
    page_token_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    segment: Literal["b2c", "b2b"]
    template: str
    variant: str | None = None
    initiated_by: str
    status: Literal["active", "paused", "completed", "cancelled", "failed"]
    plan: str | None = Field(None, max_length=200)
    locale: str = Field("en", max_length=35)
    timezone: str = Field("UTC", max_length=64)
    cancelled_at: datetime
    effective_at: datetime
    deletion_at: datetime | None = None
    reactivated_at: datetime | None = None
    ended_at: datetime | None = None
    updated_at: datetime
    marketing_consent: bool = False  # the contact preference the page shows (the customer may change it there)
    sealed_account_manager: Sealed | None = None


@service_messages.register
class CustomerAskedForHelp(EventData):
    """The survey service to the orchestrator, on the step results topic: the customer sent the "I need help" form
    of their page. The topic and the way to reach them in the clear; what they wrote (and a phone number) only
    sealed with the journey's key, for the helpdesk hand-over (b2b). Support sees the request on the attention list
    and the journey's timeline; the customer gets an email saying it arrived."""

    event_type = "offboarding.customer.asked_for_help"

    journey_id: str
    subscription_id: str
    customer_id: str
    request_id: str
    topic: Literal["data_export", "billing", "access", "come_back", "other"]
    reach_by: Literal["email", "phone"]
    requested_at: datetime
    sealed_help: Sealed | None = None  # {"message": ..., "phone": ...}


@service_messages.register
class CustomerChangedMarketingConsent(EventData):
    """The survey service to the orchestrator, on the step results topic: the customer changed their contact
    preference on their page (offers by email after they leave: yes or no). The survey service keeps the consent
    record; the orchestrator makes it the journey's `marketing_consent` (the win-back offer's condition, the
    notifier's check) and puts it on the timeline."""

    event_type = "offboarding.customer.marketing_consent_changed"

    journey_id: str
    subscription_id: str
    customer_id: str
    consent_id: str
    marketing_consent: bool
    changed_at: datetime
