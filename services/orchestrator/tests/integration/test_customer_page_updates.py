"""The customer's own page, the orchestrator's part: every email's sealed recipient links to the page, whose token
the survey service knows only by its hash from the signed page updates sent at the start and on each status
change; a help request told by the survey service lands on the timeline and the attention list, once."""

import hashlib
import json
import uuid
from datetime import UTC, datetime

import pytest

from orchestrator.adapters import console_queries
from shared.events.commands import CustomerAskedForHelp, SendMessage
from shared.keyring import Keyring
from shared.sealing import Sealed, unseal

from .conftest import Responder, commands_for, eventually
from .test_api import REASON, started

pytestmark = pytest.mark.integration


async def test_the_page_link_is_sealed_in_every_email_and_the_survey_service_hears_each_status(
    orchestrator, billing, api, kafka_bootstrap
):
    settings = orchestrator.settings
    (journey,) = await started(orchestrator, billing, "sub_page", segment="b2b", account_manager="Grace Hopper")
    async with api("operator-token") as client:
        await client.post(f"/v1/journeys/{journey.id}/pause", json=REASON)
        await client.post(f"/v1/journeys/{journey.id}/resume", json=REASON)
    updates = await commands_for(
        kafka_bootstrap, settings.topic_survey_commands, "sub_page", at_least=3, page_updates=True
    )
    (send, *_) = await commands_for(kafka_bootstrap, settings.topic_notifier_commands, "sub_page", at_least=1)
    async with orchestrator.sessions() as session:
        keys = (await Keyring(session, settings.database_schema).get([str(journey.id)]))[str(journey.id)]
    recipient = unseal(keys.seal, SendMessage.model_validate(send["data"]).sealed_recipient)
    page_url = recipient["page_url"]
    assert page_url.startswith(f"{settings.customer_page_url}/p/") and "sub_page" not in page_url
    token = page_url.rsplit("/", 1)[1]
    assert len(token) == 22, "128 random bits, base64url"
    assert [u["data"]["status"] for u in updates] == ["active", "paused", "active"]
    first = updates[0]["data"]
    assert first["page_token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in json.dumps(updates), "the token itself never goes to the survey service"
    assert unseal(keys.seal, Sealed.model_validate(first["sealed_account_manager"])) == {
        "account_manager": "Grace Hopper"
    }
    assert (first["segment"], first["template"], first["locale"], first["timezone"]) == (
        "b2b",
        "b2b-voluntary",
        "en",
        "Europe/Berlin",
    )
    assert first["deletion_at"] is not None, "the page says when the data goes"
    updated = [datetime.fromisoformat(u["data"]["updated_at"]) for u in updates]
    assert updated == sorted(updated), "each later than the one before: the survey service keeps the newest"


async def test_a_help_request_goes_on_the_timeline_and_the_attention_list_once(
    orchestrator, billing, api, kafka_bootstrap
):
    settings = orchestrator.settings
    (journey,) = await started(orchestrator, billing, "sub_help")
    told = CustomerAskedForHelp(
        journey_id=str(journey.id),
        subscription_id="sub_help",
        customer_id="cus_sub_help",
        request_id=str(uuid.uuid4()),
        topic="billing",
        reach_by="phone",
        requested_at=datetime.now(UTC),
    )
    unknown = told.model_copy(update={"journey_id": str(uuid.uuid4()), "request_id": str(uuid.uuid4())})
    async with Responder(kafka_bootstrap, settings) as responder:
        await responder.publish(settings.topic_step_results, "sub_help", told)
        await responder.publish(settings.topic_step_results, "sub_help", told)  # told twice: kept once
        await responder.publish(settings.topic_step_results, "sub_help", unknown, signed=False)

    async def on_the_timeline():
        async with api() as client:
            journey_view = (await client.get(f"/v1/journeys/{journey.id}")).json()
        return [e for e in journey_view["timeline"] if e["what"] == "help_requested"]

    noted = await eventually(on_the_timeline)
    async with orchestrator.sessions() as session:
        listed = await console_queries.help_requested(session)
    assert [e["details"] for e in noted] == [{"topic": "billing", "reach_by": "phone"}]
    mine = [row for row in listed if row["journey_id"] == journey.id]
    assert [(r["topic"], r["reach_by"], r["subscription_id"]) for r in mine] == [("billing", "phone", "sub_help")]
    assert all(row["journey_id"] != uuid.UUID(unknown.journey_id) for row in listed)
