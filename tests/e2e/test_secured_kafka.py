"""The secured mode end to end: the local broker's SASL_SSL listener (TLS, SCRAM-SHA-512), one principal per
service and one for billing, and the broker's authorizer denying whatever no ACL allows. The ACLs are the
system's own (shared/messaging/acls.py), applied for this test's topic and group names; what each principal
may write is written out again here by hand, so that a too generous ACL list fails the test."""

import asyncio
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError, TopicAuthorizationFailedError

from shared.events.topics import dlq_topic
from shared.messaging import acls
from shared.messaging.producer import create_producer
from shared.messaging.security import client_options
from shared.messaging.topics import ensure_topics

from .system import Billing, System, converge, mail

pytestmark = [pytest.mark.integration, pytest.mark.attack]
ROOT = Path(__file__).resolve().parents[2]
TLS_CA = ROOT / ".local" / "kafka" / "tls" / "ca.pem"
SECURED = "127.0.0.1:9094"
PRINCIPALS = ("orchestrator", "notifier", "survey", "billing", "billing-bridge")

# Which topics each principal may write (by the System's topic names); everything else is refused.
MAY_WRITE = {
    "billing": {"cancelled", "reactivated"},
    "billing-bridge": {"cancelled", "reactivated"},
    "orchestrator": {
        "notifier",
        "survey",
        "journeys",
        "cancelled.dlq",
        "reactivated.dlq",
        "results.dlq",
        "responses.dlq",
    },
    "notifier": {"results", "notifier.dlq"},
    "survey": {"results", "responses", "survey.dlq"},
}


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


def acl_names(system: System) -> acls.Names:
    t, n = system.topics(), system.name
    return acls.Names(
        subscription_cancelled=t["cancelled"],
        subscription_reactivated=t["reactivated"],
        journey_events=t["journeys"],
        survey_responses=t["responses"],
        notifier_commands=t["notifier"],
        survey_commands=t["survey"],
        step_results=t["results"],
        orchestrator_groups=(f"{n}_orchestrator-billing", f"{n}_orchestrator-results"),
        notifier_groups=(f"{n}_notifier-commands",),
        survey_groups=(f"{n}_survey-commands",),
        billing_group_prefix=f"{n}_billing",
    )


@pytest.fixture
async def with_acls(system: System, kafka_bootstrap) -> System:
    """The system's ACLs on the broker, applied as its super user on the plaintext listener."""
    await acls.apply(kafka_bootstrap, acls.acls(acl_names(system)))
    return system


@pytest.fixture
async def secured_system(with_acls: System, service_logins) -> System:
    """Each service with its own credentials on the SASL_SSL listener and its own database login (the
    migrations run as the owner first)."""
    system = with_acls
    await system.migrate_all()
    for service in ("orchestrator", "notifier", "survey"):
        system.service_env[service] = {
            "DATABASE_URL": service_logins[service],
            "KAFKA_BOOTSTRAP_SERVERS": SECURED,
            "KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
            "KAFKA_SASL_USERNAME": service,
            "KAFKA_SASL_PASSWORD": f"dev-{service}-password",
            "KAFKA_SSL_CAFILE": str(TLS_CA),
        }
    return system


async def test_every_write_a_principal_may_not_make_is_refused_by_the_broker(with_acls, kafka_bootstrap):
    topics = {**with_acls.topics()}
    topics |= {f"{kind}.dlq": dlq_topic(name) for kind, name in list(topics.items())}
    await ensure_topics(kafka_bootstrap, {name: 1 for name in topics.values()}, with_dlq=False)
    allowed, refused = {}, {}
    for principal in PRINCIPALS:
        producer = create_producer(SECURED, client_id=f"probe-{principal}", options=secured(principal))
        await producer.start()
        try:
            for kind, topic in topics.items():
                try:
                    await asyncio.wait_for(producer.send_and_wait(topic, b"{}", key=b"probe"), 20)
                    allowed.setdefault(principal, set()).add(kind)
                except TopicAuthorizationFailedError:
                    refused.setdefault(principal, set()).add(kind)
        finally:
            await producer.stop()
    assert allowed == MAY_WRITE
    assert all(refused[p] == set(topics) - MAY_WRITE[p] for p in PRINCIPALS)
    # Reading is as narrow: billing may not read the commands (and so learn who is leaving), nor the notifier
    # the survey service's commands.
    for principal, topic in (("billing", topics["notifier"]), ("notifier", topics["survey"])):
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=SECURED,
            group_id=f"{with_acls.name}_{principal}-probe",
            auto_offset_reset="earliest",
            **secured(principal),
        )
        try:
            with pytest.raises(KafkaError):  # at the join or the first fetch, as the client finds out
                await consumer.start()
                await asyncio.wait_for(consumer.getone(), 20)
        finally:
            await consumer.stop()


async def test_a_wrong_password_is_refused():
    producer = create_producer(SECURED, client_id="intruder", options=secured("orchestrator", "guess"))
    with pytest.raises(KafkaError):
        await asyncio.wait_for(producer.start(), 30)
    await producer.stop()


async def test_the_system_runs_with_one_kafka_principal_and_one_database_role_per_service(secured_system):
    for service in ("orchestrator", "notifier", "survey"):
        # Topics, consumers, producer: each on SASL_SSL as its own user; its database as its own role.
        await secured_system.start(service)
    billing = Billing(secured_system, kafka=SECURED, options=secured("billing"))
    async with billing:
        await billing.cancel(2)
        journeys = await converge(secured_system, billing)
    assert len(journeys) == 2
    assert len(mail(secured_system.maildir, f"@{secured_system.name}.example")) >= 2, "the confirmations went out"
