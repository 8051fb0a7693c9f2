"""Handlers for the orchestrator's commands, in the consumer's transaction: a batch of send commands joins the
send queue at once (a command whose step already went out is answered at once instead); an erasure forgets
the journey's data."""

from typing import NamedTuple

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from notifier.adapters.repository import DeliveryRepository
from notifier.domain.delivery import Delivery, Outcome
from notifier.service_layer.results import answer_rows
from shared import tracing
from shared.events.commands import ErasePersonalData, Recipient, SendMessage
from shared.keyring import Keyring
from shared.logging import get_logger
from shared.outbox.step_results import queue_signed
from shared.personal import keyed_address_hash
from shared.sealing import Unreadable, unseal

log = get_logger(__name__)


class Opened(NamedTuple):
    recipient: Recipient | None
    survey_url: str | None
    problem: str | None = None  # why the recipient cannot be used
    help_words: dict | None = None  # a help request's message and phone, for the helpdesk hand-over


ERASED = Outcome("erased", "failed", "personal data erased", retryable=False)


async def accept_sends(
    commands: list[tuple[str, SendMessage]],
    session: AsyncSession,
    *,
    results_topic: str,
    keyring_schema: str,
    address_key: bytes,
) -> None:
    """Queue the messages (`(command id, command)` pairs): four statements for the whole batch. The consumer has
    checked each command's signature and journey (shared.messaging.authenticity). A recipient that cannot be
    opened (the journey's personal data was erased in the meantime) is not sent: the delivery is `erased` and
    the orchestrator told so."""
    if not commands:
        return
    keyring = Keyring(session, keyring_schema)
    recipients = await _recipients(commands, keyring)
    repository = DeliveryRepository(session)
    earlier = await repository.sent({(c.journey_id, c.step) for _, c in commands})
    accepted = await repository.accept(
        [_queued(i, c, recipients.get(i), earlier.get((c.journey_id, c.step)), address_key) for i, c in commands]
    )
    # The customer already has these messages: never send them twice, tell the orchestrator they are done.
    answers = [(d, _already_sent(earlier[(d.journey_id, d.step)])) for d in accepted if d.status == "duplicate"]
    answers += [(d, ERASED) for d in accepted if d.status == "erased"]
    problems = {i: o.problem for i, o in recipients.items() if o.problem}
    answers += [
        (d, Outcome("failed", "failed", problems[d.command_id], retryable=False))
        for d in accepted
        if d.status == "failed"
    ]
    await queue_signed(session, answer_rows(results_topic, answers), keyring)


async def _recipients(commands: list[tuple[str, SendMessage]], keyring: Keyring) -> dict[str, Opened]:
    """Each command's recipient (and survey link), opened with its journey's key; none where it cannot be (the
    journey was erased after the command was checked, or the orchestrator sealed with another key)."""
    keys = await keyring.keys([c.journey_id for _, c in commands])
    opened = {}
    for command_id, command in commands:
        key = keys.get(command.journey_id)
        try:
            sealed = unseal(key, command.sealed_recipient)
            link = unseal(key, command.sealed_survey_url) if command.sealed_survey_url else None
            words = unseal(key, command.sealed_help) if command.sealed_help else None
        except Unreadable:
            log.info("recipient_unreadable", journey_id=command.journey_id, step=command.step)
            continue
        try:
            recipient = Recipient.model_validate(sealed)
        except ValidationError as exc:
            # Signed by the orchestrator yet unusable: the step fails with the reason (fields, never values).
            opened[command_id] = Opened(None, None, f"the recipient is not valid: {_fields(exc)}")
            continue
        opened[command_id] = Opened(
            recipient, link.get("url") if isinstance(link, dict) else None, help_words=_help_words(words)
        )
    return opened


def _help_words(words: object) -> dict | None:
    """What the customer wrote for help (text, phone), as strings or nothing: signed by the orchestrator, sealed
    by the survey service, still read as untrusted."""
    if not isinstance(words, dict):
        return None
    return {k: v[:4000] if isinstance(v, str) else None for k, v in words.items() if k in ("message", "phone")}


def _fields(exc: ValidationError) -> str:
    return "; ".join(".".join(map(str, e["loc"])) + ": " + e["msg"] for e in exc.errors(include_input=False))


async def erase(command: ErasePersonalData, session: AsyncSession, *, results_topic: str, keyring_schema: str) -> None:
    """Forget the journey's recipients; messages still queued are not sent. The suppression list stays:
    an unsubscribed address keeps getting no marketing, and it holds only a hash."""
    unsent = await DeliveryRepository(session).forget_journey(command.journey_id)
    answers = answer_rows(results_topic, [(d, ERASED) for d in unsent])
    await queue_signed(session, answers, Keyring(session, keyring_schema))
    log.info("personal_data_erased", journey_id=command.journey_id, unsent=len(unsent))


def _queued(
    command_id: str, command: SendMessage, opened: Opened | None, earlier: Delivery | None, address_key: bytes
) -> dict:
    status, reason = ("duplicate", f"already sent as {earlier.command_id}") if earlier else ("queued", None)
    recipient = opened.recipient if opened else None
    if opened is None:
        status, reason = "erased", ERASED.reason
    elif recipient is None:
        status, reason = "failed", opened.problem
    return {
        "command_id": command_id,
        "journey_id": command.journey_id,
        "subscription_id": command.subscription_id,
        "customer_id": command.customer_id,
        "step": command.step,
        "attempt": command.attempt,
        "message": command.message,
        "channel": command.channel,
        "category": command.category,
        "segment": command.segment,
        "marketing_consent": command.marketing_consent,
        "recipient": recipient.model_dump(mode="json") if recipient else None,
        "recipient_hash": keyed_address_hash(recipient.email, address_key) if recipient else None,
        # The survey link is kept here in the clear (the message needs it) and forgotten with the recipient.
        "facts": _facts(command, opened),
        "status": status,
        "reason": reason,
        "provider_message_id": earlier.provider_message_id if earlier else None,
        "traceparent": tracing.traceparent_for(command.subscription_id),
    }


def _facts(command: SendMessage, opened: Opened | None) -> dict:
    """The command's facts with what came sealed: the survey link, a help request's words (forgotten on erasure)."""
    facts = dict(command.facts)
    if opened and opened.survey_url:
        facts["survey_url"] = opened.survey_url
    if opened and opened.help_words and isinstance(facts.get("help"), dict):
        facts["help"] = facts["help"] | opened.help_words
    return facts


def _already_sent(earlier: Delivery) -> Outcome:
    data = {"provider_message_id": earlier.provider_message_id, "channel": earlier.channel}
    return Outcome("duplicate", "succeeded", "already sent", data=data)
