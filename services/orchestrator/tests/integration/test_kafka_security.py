"""The services on a secured Kafka: TLS and SCRAM-SHA-512 on the local broker's SASL_SSL listener, and ACLs
that keep the internal command topics closed to anyone but the services that own them."""

import asyncio
from pathlib import Path

import pytest
from aiokafka.errors import KafkaError, TopicAuthorizationFailedError

from orchestrator.bootstrap import bootstrap
from orchestrator.tools.sample_events import cancellation
from shared.messaging.producer import create_producer
from shared.messaging.security import client_options

from .conftest import commands_for, eventually, journey_rows, running

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[4]
TLS_CA = ROOT / ".local" / "kafka" / "tls" / "ca.pem"
SASL_SERVERS = "127.0.0.1:9094"


@pytest.fixture(autouse=True)
def local_broker(kafka_bootstrap):
    if not TLS_CA.exists() or kafka_bootstrap != "127.0.0.1:9092":
        pytest.skip("needs the project's local broker with its SASL_SSL listener (make infra-up)")


def secured(user: str, password: str | None = None) -> dict:
    return client_options(
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username=user,
        sasl_password=password or f"dev-{user}-password",
        ssl_cafile=str(TLS_CA),
    )


async def test_the_orchestrator_runs_entirely_over_tls_and_scram(settings_for, billing, kafka_bootstrap):
    settings = settings_for(
        KAFKA_BOOTSTRAP_SERVERS=SASL_SERVERS,
        KAFKA_SECURITY_PROTOCOL="SASL_SSL",
        KAFKA_SASL_MECHANISM="SCRAM-SHA-512",
        KAFKA_SASL_USERNAME="orchestrator",
        KAFKA_SASL_PASSWORD="dev-orchestrator-password",
        KAFKA_SSL_CAFILE=str(TLS_CA),
    )
    async with running(bootstrap(settings)) as orchestrator:  # topics, consumers, producer: all on SASL_SSL
        await billing(settings.topic_subscription_cancelled, cancellation("sub_secure"), "sub_secure")
        await eventually(lambda: journey_rows(orchestrator, "sub_secure"), within=30)
        await commands_for(kafka_bootstrap, settings.topic_notifier_commands, "sub_secure", at_least=1)


async def test_a_wrong_password_is_refused(kafka_bootstrap):
    producer = create_producer(SASL_SERVERS, client_id="intruder", options=secured("orchestrator", "guess"))
    with pytest.raises(KafkaError):
        await asyncio.wait_for(producer.start(), 30)
    await producer.stop()


async def test_acls_keep_a_command_topic_closed_to_everyone_but_its_writer(make_topics, unique_name):
    (topic,) = await make_topics(f"{unique_name}.notifier.commands")
    await acls(
        "--add",
        "--allow-principal",
        "User:orchestrator",
        "--operation",
        "Write",
        "--operation",
        "Describe",
        "--topic",
        topic,
    )
    await acls(
        "--add",
        "--allow-principal",
        "User:notifier",
        "--operation",
        "Read",
        "--operation",
        "Describe",
        "--topic",
        topic,
    )

    orchestrator = create_producer(SASL_SERVERS, client_id="orchestrator", options=secured("orchestrator"))
    intruder = create_producer(SASL_SERVERS, client_id="billing", options=secured("billing"))
    await orchestrator.start()
    await intruder.start()
    try:
        await orchestrator.send_and_wait(topic, b"{}", key=b"k")
        with pytest.raises(TopicAuthorizationFailedError):
            await intruder.send_and_wait(topic, b'{"type": "offboarding.command.send_message"}', key=b"k")
    finally:
        await orchestrator.stop()
        await intruder.stop()


async def acls(*args: str) -> None:
    process = await asyncio.create_subprocess_exec(
        str(ROOT / "deploy" / "kafka.sh"),
        "acls",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, output.decode()[-2000:]
