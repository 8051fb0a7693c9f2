"""Kafka entry point: the orchestrator's commands to the notifier, typed, to the handlers a batch at a time
(send commands together; an erasure after the sends before it, so it forgets them too)."""

from functools import partial

from notifier.service_layer.handlers import accept_sends, erase
from shared.events.commands import ErasePersonalData, SendMessage
from shared.messaging.commands import commands_in_order
from shared.messaging.consumer import BatchHandler


def commands_handler(results_topic: str, keyring_schema: str, address_key: bytes) -> BatchHandler:
    return commands_in_order(
        "notifier",
        batched=SendMessage,
        run=partial(accept_sends, results_topic=results_topic, keyring_schema=keyring_schema, address_key=address_key),
        single={ErasePersonalData: partial(erase, results_topic=results_topic, keyring_schema=keyring_schema)},
    )
