"""Sealed recipients: a send command's recipient comes sealed with its journey's key (shared.sealing); the notifier
opens it with the key from the keyring and sends. A command whose journey was erased after it left (its sealing
key is gone) is refused before anything is handled (shared.messaging.authenticity), and is never sent."""

import pytest

from notifier.bootstrap import bootstrap
from shared.played_orchestrator import sealed
from shared.testing import read_topic

from .conftest import Orchestrator, mail_to, running, send_message

pytestmark = pytest.mark.integration


async def test_a_sealed_recipient_is_opened_and_one_of_an_erased_journey_is_not_sent(
    settings_for, smtp_sink, unique_name
):
    kept_id, kept = send_message(email_address=f"kept-{unique_name}@example.com")
    gone_id, gone = send_message(email_address=f"gone-{unique_name}@example.com")
    settings = settings_for()
    async with running(bootstrap(settings)), Orchestrator(settings) as orchestrator:
        written = sealed(gone, await orchestrator.keys(gone.journey_id))  # written while the journey had its keys
        await orchestrator.erase_keys(gone.journey_id)  # erased before the notifier reads it
        await orchestrator.send(kept_id, kept)
        await orchestrator.send(gone_id, written)
        results = await orchestrator.results({kept_id})
        dead = await read_topic(settings.kafka_bootstrap_servers, f"{settings.topic_commands}.dlq", until=bool)
    assert results[kept_id]["outcome"] == "succeeded"
    assert len(mail_to(smtp_sink.maildir, f"kept-{unique_name}@example.com")) == 1
    assert [dict(r.headers)["error.reason"] for r in dead] == [b"journey_erased"]
    assert mail_to(smtp_sink.maildir, f"gone-{unique_name}@example.com") == []
