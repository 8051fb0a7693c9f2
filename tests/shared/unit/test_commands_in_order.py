"""Commands taken a batch at a time keep their order: a run of the batchable kind goes together, another command
(an erasure) waits for the run before it, and a command of an unhandled type is refused with a reason."""

import pytest

from shared.events.commands import CreateSurvey, ErasePersonalData, SendMessage
from shared.events.envelope import InvalidMessage, new_event
from shared.messaging.commands import commands_in_order
from shared.messaging.consumer import IncomingMessage
from shared.sealing import new_key, seal


def message(command) -> IncomingMessage:
    event = new_event(command.event_type, "offboarding/test", command.model_dump(mode="json"))
    return IncomingMessage("commands", 0, 0, command.journey_id, event)


def survey(journey: str) -> CreateSurvey:
    return CreateSurvey(
        journey_id=journey, subscription_id="sub", customer_id="cus", step="exit_survey", attempt=1, segment="b2c"
    )


def recorder(calls: list):
    async def run(commands, session):
        calls.append(("run", [c.journey_id for _, c in commands]))

    async def erase(command, session):
        calls.append(("erase", command.journey_id))

    return commands_in_order("survey service", batched=CreateSurvey, run=run, single={ErasePersonalData: erase})


async def test_an_erasure_comes_after_the_run_before_it_and_before_the_run_after_it():
    calls: list = []
    batch = [
        survey("j1"),
        survey("j2"),
        ErasePersonalData(journey_id="j2", subscription_id="sub", customer_id="cus"),
        survey("j3"),
    ]
    await recorder(calls)([message(c) for c in batch], session=None)
    assert calls == [("run", ["j1", "j2"]), ("erase", "j2"), ("run", ["j3"])]


async def test_a_command_the_service_does_not_handle_is_refused_with_its_type():
    send = SendMessage(
        journey_id="j1",
        subscription_id="sub",
        customer_id="cus",
        step="confirmation",
        attempt=1,
        message="cancellation_confirmation",
        channel="email",
        category="transactional",
        segment="b2c",
        sealed_recipient=seal(new_key(), "j1", {"email": "ada@example.com"}),
    )
    with pytest.raises(InvalidMessage) as refused:
        await recorder([])([message(send)], session=None)
    assert refused.value.reason == "unknown_type" and "survey service does not handle" in refused.value.detail
