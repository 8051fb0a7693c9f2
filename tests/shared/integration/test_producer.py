"""The services' producer is replaced when the broker has lost its producer state (aiokafka's idempotent
producer never sends again after OutOfOrderSequenceNumber), and kept for any other error."""

import pytest
from aiokafka.errors import KafkaConnectionError, OutOfOrderSequenceNumber

from shared.messaging.producer import RenewableProducer
from shared.testing import read_topic

pytestmark = pytest.mark.integration


async def test_a_producer_whose_state_the_broker_lost_is_renewed_and_sends_again(
    kafka_bootstrap, make_topics, unique_name
):
    (topic,) = await make_topics(f"{unique_name}.out")
    producer = RenewableProducer(kafka_bootstrap, client_id="tests")
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"before", key=b"k")
        first_id = producer._current._txn_manager.producer_id if producer._current._txn_manager else None
        assert await producer.renew_after(KafkaConnectionError()) is False, "the broker being away is not it"
        wrapped = RuntimeError("publishing failed")
        wrapped.__cause__ = OutOfOrderSequenceNumber()
        assert await producer.renew_after(wrapped) is True
        await producer.send_and_wait(topic, b"after", key=b"k")
        second_id = producer._current._txn_manager.producer_id if producer._current._txn_manager else None
    finally:
        await producer.stop()
    assert producer.renewals == 1 and first_id != second_id
    records = await read_topic(kafka_bootstrap, topic, until=lambda rs: len(rs) >= 2)
    assert [r.value for r in records] == [b"before", b"after"]
