"""Turning a journey's effects into the messages that leave the orchestrator (commands and journey events)."""

from dataclasses import dataclass
from typing import Any

from orchestrator.domain.effects import Dispatch, JourneyEvent
from orchestrator.domain.journey import Journey
from shared.events.commands import CreateSurvey, ErasePersonalData, Recipient, SendMessage
from shared.events.envelope import CloudEvent, new_event
from shared.sealing import seal

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
    journey: Journey, dispatch: Dispatch, topics: Topics, *, key: bytes | None = None
) -> tuple[str, CloudEvent]:
    """The command for a dispatched step and the topic it goes to. The event id is the command id. With the
    journey's `key`, the recipient goes sealed (what goes to Kafka); without, plain (a preview, never sent)."""
    step = journey.step(dispatch.step)
    base = {
        "journey_id": str(journey.id),
        "subscription_id": journey.subscription_id,
        "customer_id": journey.customer_id,
        "step": step.name,
        "attempt": dispatch.attempt,
    }
    customer = journey.facts.get("customer") or {}
    if step.spec.kind == "survey":
        data = CreateSurvey(
            **base,
            segment=journey.segment,
            locale=customer.get("locale") or "en",
            plan=journey.facts.get("plan"),
            reason=journey.facts.get("reason"),
            template=journey.template,
        )
        return topics.survey_commands, _command(data, journey, dispatch)
    data = SendMessage(
        **base,
        message=step.spec.message or step.name,
        channel=step.spec.channel,
        category=step.spec.category,
        segment=journey.segment,
        marketing_consent=bool(journey.facts.get("marketing_consent")),
        **_recipient(journey, customer, key),
        facts=_message_facts(journey),
    )
    return topics.notifier_commands, _command(data, journey, dispatch)


def _recipient(journey: Journey, customer: dict, key: bytes | None) -> dict[str, Any]:
    recipient = Recipient(
        email=customer["email"],
        name=customer.get("name"),
        company=customer.get("company"),
        locale=customer.get("locale") or "en",
        timezone=customer.get("timezone") or "UTC",
        account_manager=journey.facts.get("account_manager"),
    )
    if key is None:
        return {"recipient": recipient}
    return {"sealed_recipient": seal(key, str(journey.id), recipient.model_dump(mode="json"))}


def erase_commands(journey: Journey, topics: Topics) -> list[tuple[str, CloudEvent]]:
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
    facts["template"] = journey.template
    # When the personal data goes: the journey's erase step, so that every message can say so.
    erase = next((s for s in journey.steps if s.spec.kind == "erase" and s.due_at is not None), None)
    facts["deletion_at"] = erase.due_at.isoformat() if erase else None
    for step in journey.steps:
        if "survey_url" in step.result:
            facts["survey_url"] = step.result["survey_url"]
    if journey.survey is not None:
        facts["survey"] = dict(journey.survey)
    return facts
