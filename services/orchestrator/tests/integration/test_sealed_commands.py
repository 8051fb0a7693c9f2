"""Erasure reaches Kafka: the recipient of every send command is sealed with the journey's key (never on the topic
in the clear), the notifier's key opens it, and once the journey is erased the key is gone, so the copies still
on the raw command topic can no longer be read by anyone."""

import base64
import json

import pytest
from cryptography.exceptions import InvalidTag

from shared import signing
from shared.events.commands import SendMessage
from shared.keyring import Keyring
from shared.sealing import Unreadable, unseal
from shared.testing import read_topic

from .test_api import started

pytestmark = pytest.mark.integration
ADDRESS, NAME = "sealed-customer@example.com", "Ada Lovelace"


async def test_erasing_a_journey_leaves_its_commands_on_kafka_unreadable(orchestrator, billing, api):
    settings = orchestrator.settings
    (journey,) = await started(orchestrator, billing, "sub_sealed", email=ADDRESS)

    def sends(records):
        return [r for r in records if r.key == b"sub_sealed" and b"send_message" in r.value]

    records = await read_topic(settings.kafka_bootstrap_servers, settings.topic_notifier_commands, until=sends)
    raw = b"".join(r.value for r in sends(records))
    assert ADDRESS.encode() not in raw and NAME.encode() not in raw and b"sealed-customer" not in raw
    first = sends(records)[0]
    command = SendMessage.model_validate(json.loads(first.value)["data"])
    assert "recipient" not in json.loads(first.value)["data"] and command.sealed_recipient.kid == str(journey.id)
    async with orchestrator.sessions() as session:
        keys = (await Keyring(session, settings.database_schema).get([str(journey.id)]))[str(journey.id)]
    assert unseal(keys.seal, command.sealed_recipient)["email"] == ADDRESS  # the notifier can read it
    assert signing.verify(keys.mac, first.key, first.value, dict(first.headers)[signing.HEADER]), "signed"

    async with api("operator-token") as client:
        erased = await client.post(f"/v1/journeys/{journey.id}/erase", json={"reason": "data-subject request"})
    assert erased.status_code == 200
    async with orchestrator.sessions() as session:
        after = await Keyring(session, settings.database_schema).get([str(journey.id)])
    assert after[str(journey.id)].seal is None, "the sealing key is gone"
    assert after[str(journey.id)].mac == keys.mac, "the MAC key stays: the erasure's commands are signed with it"
    # The same record, still on the topic: no key opens it any more (the old one is gone with the erasure).
    again = await read_topic(settings.kafka_bootstrap_servers, settings.topic_notifier_commands, until=sends)
    for record in sends(again):
        sealed = SendMessage.model_validate(json.loads(record.value)["data"]).sealed_recipient
        with pytest.raises(Unreadable):
            unseal(None, sealed)
        with pytest.raises(Unreadable):
            unseal(bytes(32), sealed)  # nor a guess


def test_a_tampered_ciphertext_does_not_open():
    from shared.sealing import new_key, seal

    key = new_key()
    sealed = seal(key, "journey-1", {"email": ADDRESS})
    # Flip one bit of the first ciphertext byte: replacing a base64 character with a fixed one would be
    # no change at all whenever the ciphertext already began with it (1 run in 64 failed that way in CI).
    raw = bytearray(base64.urlsafe_b64decode(sealed.ciphertext + "=" * (-len(sealed.ciphertext) % 4)))
    raw[0] ^= 0x01
    flipped = sealed.model_copy(update={"ciphertext": base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")})
    assert flipped.ciphertext != sealed.ciphertext
    moved = sealed.model_copy(update={"kid": "journey-2"})  # the key id is the associated data
    for broken in (flipped, moved):
        with pytest.raises(Unreadable) as caught:
            unseal(key, broken)
        assert isinstance(caught.value.__cause__, InvalidTag | ValueError)


async def test_internal_topics_keep_messages_for_the_internal_retention(orchestrator):
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    settings = orchestrator.settings
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    await admin.start()
    try:
        topics = [settings.topic_notifier_commands, settings.topic_step_results, settings.topic_journey_events]
        answers = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, t) for t in topics])
    finally:
        await admin.close()
    retention = {}
    for answer in answers:
        for resource in answer.resources:
            configs = {entry[0]: entry for entry in resource[4]}
            retention[resource[3]] = (configs["retention.ms"][1], configs["retention.ms"][3])  # value, source
    week = str(7 * 24 * 3600 * 1000)
    assert retention[settings.topic_notifier_commands][0] == week and retention[settings.topic_step_results][0] == week
    topic_setting = 1  # DescribeConfigs' config source DYNAMIC_TOPIC_CONFIG: set on the topic itself
    assert retention[settings.topic_notifier_commands][1] == topic_setting
    assert retention[settings.topic_journey_events][1] != topic_setting, "public topics keep the cluster's retention"
