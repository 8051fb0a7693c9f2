"""Turning a journey's effects into the messages that leave the orchestrator (commands and journey events)."""

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from orchestrator.domain.effects import Dispatch, JourneyEvent
from orchestrator.domain.journey import Journey
from orchestrator.domain.templates import RESERVED_PREFIXES
from shared.events.commands import (
    CreateSurvey,
    ErasePersonalData,
    MessageCommand,
    Recipient,
    SendMessage,
    UpdateCustomerPage,
)
from shared.events.envelope import CloudEvent, new_event
from shared.keyring import JourneyKeys
from shared.sealing import Sealed, seal

SOURCE = "offboarding/orchestrator"


@dataclass(frozen=True)
class Topics:
    journey_events: str
    notifier_commands: str
    survey_commands: str


def _event(type_: str, data: Any, *, subject: str, event_id: str | None = None) -> CloudEvent:
    event = new_event(type_, SOURCE, data, subject=subject, dataversion=1)
    return event.model_copy(update={"id": event_id}) if event_id else event


def journey_event(journey: Journey, effect: JourneyEvent) -> CloudEvent:
    """A public journey event: ids, template, status; never personal data."""
    data = {
        "journey_id": str(journey.id),
        "subscription_id": journey.subscription_id,
        "customer_id": journey.customer_id,
        "template": journey.template,
        "template_version": journey.template_version,
        "variant": journey.variant,
        "segment": journey.segment,
        "initiated_by": journey.initiated_by,
        "status": journey.status,
        **effect.data,
    }
    return _event(f"offboarding.journey.{effect.kind}", data, subject=str(journey.id))


def step_command(
    journey: Journey, dispatch: Dispatch, topics: Topics, *, keys: JourneyKeys, page_base: str
) -> tuple[str, CloudEvent]:
    """The command for a dispatched step and the topic it goes to (the event id is the command id): the
    recipient (with the link to the customer's page) sealed with the journey's key, the survey link as the
    survey service sealed it."""
    step = journey.step(dispatch.step)
    if step.spec.kind == "survey":
        return topics.survey_commands, _command(_survey_command(journey, dispatch), journey, dispatch)
    assert keys.seal is not None, "an erased journey dispatches no message"
    recipient = _recipient(journey, page_base)
    data = SendMessage(
        **_message_fields(journey, dispatch),
        sealed_recipient=seal(keys.seal, str(journey.id), recipient.model_dump(mode="json")),
        sealed_survey_url=_survey_link(journey),
        sealed_help=_sealed_help(_help_request(journey, dispatch.step)),
    )
    return topics.notifier_commands, _command(data, journey, dispatch)


def preview_command(journey: Journey, dispatch: Dispatch, *, page_base: str) -> dict[str, Any]:
    """A message step as the notifier's render API reads it (recipient and survey link in the clear): for an
    author's preview over HTTP, never sent to Kafka."""
    survey_url = next((s.result["survey_url"] for s in journey.steps if "survey_url" in s.result), None)
    data = MessageCommand(**_message_fields(journey, dispatch)).model_dump(mode="json")
    data["facts"] |= {"survey_url": survey_url} if survey_url else {}
    return data | {"recipient": _recipient(journey, page_base).model_dump(mode="json")}


def page_token_hash(token: str) -> str:
    """How the survey service knows a page link: only its SHA-256 (whoever reads that table cannot open pages)."""
    return hashlib.sha256(token.encode()).hexdigest()


def page_url(journey: Journey, page_base: str) -> str | None:
    """The link to the customer's own page, while the journey has its token (none before pages existed, and
    none once the personal data is erased: no message goes out then)."""
    token = journey.facts.get("page_token")
    return f"{page_base.rstrip('/')}/p/{token}" if isinstance(token, str) and token else None


def page_update(journey: Journey, *, keys: JourneyKeys | None) -> CloudEvent | None:
    """What the customer's page shows of the journey now. None for a journey without a page, and for an erased
    one: the survey service hears of the erasure itself, and takes nothing else for that journey after it."""
    token = journey.facts.get("page_token")
    if not isinstance(token, str) or not token or journey.erased_at is not None:
        return None
    customer = journey.facts.get("customer") or {}
    manager = journey.facts.get("account_manager")
    sealed_manager = None
    if manager and keys is not None and keys.seal is not None:
        sealed_manager = seal(keys.seal, str(journey.id), {"account_manager": manager})
    data = UpdateCustomerPage(
        journey_id=str(journey.id),
        subscription_id=journey.subscription_id,
        customer_id=journey.customer_id,
        page_token_hash=page_token_hash(token),
        segment=journey.segment,
        template=journey.template,
        variant=journey.variant,
        initiated_by=journey.initiated_by,
        status=journey.status,
        plan=journey.facts.get("plan"),
        locale=customer.get("locale") or "en",
        timezone=customer.get("timezone") or "UTC",
        cancelled_at=journey.cancelled_at,
        effective_at=journey.effective_at,
        deletion_at=_deletion_at(journey),
        reactivated_at=_reactivated_at(journey),
        ended_at=journey.ended_at,
        updated_at=journey.updated_at,
        marketing_consent=journey.facts.get("marketing_consent") is True,
        sealed_account_manager=sealed_manager,
    )
    return _event(data.event_type, data.model_dump(mode="json"), subject=str(journey.id))


def _erase_due_at(journey: Journey) -> datetime | None:
    """When the personal data goes: the journey's erase step, while it is still to come."""
    erase = next((s for s in journey.steps if s.spec.kind == "erase" and s.due_at is not None), None)
    return erase.due_at if erase else None


def _deletion_at(journey: Journey) -> datetime | None:
    """When the personal data goes, or went (the erase step done)."""
    if (due := _erase_due_at(journey)) is not None:
        return due
    done = next((s for s in journey.steps if s.spec.kind == "erase" and s.status == "succeeded"), None)
    return done.completed_at if done else None


def _reactivated_at(journey: Journey) -> datetime | None:
    value = journey.facts.get("reactivated_at")
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _base(journey: Journey, dispatch: Dispatch) -> dict[str, Any]:
    return {
        "journey_id": str(journey.id),
        "subscription_id": journey.subscription_id,
        "customer_id": journey.customer_id,
        "step": dispatch.step,
        "attempt": dispatch.attempt,
    }


def _survey_command(journey: Journey, dispatch: Dispatch) -> CreateSurvey:
    customer = journey.facts.get("customer") or {}
    return CreateSurvey(
        **_base(journey, dispatch),
        segment=journey.segment,
        locale=customer.get("locale") or "en",
        plan=journey.facts.get("plan"),
        reason=journey.facts.get("reason"),
        template=journey.template,
    )


def _message_fields(journey: Journey, dispatch: Dispatch) -> dict[str, Any]:
    spec = journey.step(dispatch.step).spec
    return _base(journey, dispatch) | {
        "message": spec.message or spec.name,
        "channel": spec.channel,
        "category": spec.category,
        "segment": journey.segment,
        "marketing_consent": journey.facts.get("marketing_consent") is True,
        "facts": _message_facts(journey) | _help_facts(journey, dispatch.step),
    }


def _help_request(journey: Journey, step_name: str) -> dict[str, Any] | None:
    """The help request a help_received_<n> / help_hand_over_<n> step answers (the n-th of the journey)."""
    if not step_name.startswith(RESERVED_PREFIXES):
        return None
    n = step_name.rsplit("_", 1)[-1]
    asked = journey.facts.get("help_requests") or []
    return asked[int(n) - 1] if n.isdigit() and 0 < int(n) <= len(asked) else None


def _help_facts(journey: Journey, step_name: str) -> dict[str, Any]:
    asked = _help_request(journey, step_name)
    if asked is None:
        return {}
    return {"help": {k: asked.get(k) for k in ("request_id", "topic", "reach_by", "requested_at")}}


def _sealed_help(asked: dict[str, Any] | None) -> Sealed | None:
    if asked is None or not isinstance(asked.get("sealed_help"), dict):
        return None
    try:
        return Sealed.model_validate(asked["sealed_help"])
    except ValidationError:
        return None  # the hand-over then goes with the topic only


def _recipient(journey: Journey, page_base: str) -> Recipient:
    customer = journey.facts.get("customer") or {}
    return Recipient(
        page_url=page_url(journey, page_base),
        email=customer["email"],
        name=customer.get("name"),
        company=customer.get("company"),
        locale=customer.get("locale") or "en",
        timezone=customer.get("timezone") or "UTC",
        account_manager=journey.facts.get("account_manager"),
    )


def _survey_link(journey: Journey) -> Sealed | None:
    """The sealed link of the journey's exit survey, once the survey service has answered with one."""
    for step in journey.steps:
        if isinstance(step.result.get("sealed_survey_url"), dict):
            try:
                return Sealed.model_validate(step.result["sealed_survey_url"])
            except ValidationError:
                return None  # the invitation then goes without a link, and says so (a lint rule checks it)
    return None


def erase_commands(journey: Journey, topics: Topics) -> list[tuple[str, CloudEvent]]:
    """The erasure, to both services: signed with the journey's MAC key, which outlives its sealing key."""
    data = ErasePersonalData(
        journey_id=str(journey.id), subscription_id=journey.subscription_id, customer_id=journey.customer_id
    )
    return [
        (topic, _event(data.event_type, data.model_dump(mode="json"), subject=str(journey.id)))
        for topic in (topics.notifier_commands, topics.survey_commands)
    ]


def _command(data: SendMessage | CreateSurvey, journey: Journey, dispatch: Dispatch) -> CloudEvent:
    return _event(data.event_type, data.model_dump(mode="json"), subject=str(journey.id), event_id=dispatch.command_id)


def _message_facts(journey: Journey) -> dict[str, Any]:
    """What a message may show besides the recipient: no personal data."""
    facts = {k: journey.facts.get(k) for k in ("plan", "reason", "cancelled_at", "effective_at", "initiated_by")}
    if "unreachable" in journey.facts:  # the account manager's hand-over: what the customer missed (no address)
        facts["unreachable"] = journey.facts["unreachable"]
    facts["template"] = journey.template
    # When the personal data goes: the journey's erase step, so that every message can say so.
    due = _erase_due_at(journey)
    facts["deletion_at"] = due.isoformat() if due else None
    if journey.survey is not None:
        facts["survey"] = dict(journey.survey)
    return facts
