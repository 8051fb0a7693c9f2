"""Notifier integration fixtures: real Kafka, PostgreSQL and SMTP sink; the notifier's parts in-process; the
orchestrator played by `Orchestrator`, which keeps journey keys in a keyring of its own, sends sealed and signed
commands over Kafka and reads the results."""

import email
import email.policy
import json
import uuid
from collections.abc import Callable
from datetime import time
from pathlib import Path

import pytest

from notifier.config import Settings
from shared.events.commands import CustomerUnsubscribed, Recipient
from shared.played_orchestrator import PlainSend, PlayedOrchestrator
from shared.runtime import Runtime
from shared.testing import read_topic
from shared.testing import running as shared_running

SERVICE_DIR = Path(__file__).resolve().parents[2]
TOKENS = "viewer-token:viewer,operator-token:operator"


@pytest.fixture
def settings_for(database_url, kafka_bootstrap, unique_name, smtp_sink, keyring_schema) -> Callable[..., Settings]:
    def make(**overrides) -> Settings:
        t = unique_name
        values = dict(
            keyring_schema=keyring_schema,
            DATABASE_URL=database_url,
            KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
            OFFBOARDING_API_TOKENS=TOKENS,
            database_schema=t,
            topic_partitions=2,
            outbox_idle_seconds=0.02,
            topic_commands=f"{t}.commands",
            topic_step_results=f"{t}.results",
            smtp_host=smtp_sink.host,
            smtp_port=smtp_sink.port,
            # no quiet hours unless a test asks for them
            quiet_hours_start=time(0),
            quiet_hours_end=time(0),
            sender_interval_seconds=0.02,
        )
        return Settings(**(values | overrides))

    return make


def running(runtime: Runtime):
    return shared_running(runtime, SERVICE_DIR)


def send_message(
    *,
    step="confirmation",
    message="cancellation_confirmation",
    email_address=None,
    category="transactional",
    channel="email",
    locale="en",
    timezone="Europe/Berlin",
    consent=False,
    segment="b2c",
    journey_id=None,
    effective_at="2026-12-23T23:30:00+00:00",
    **facts,
) -> tuple[str, PlainSend]:
    journey_id = journey_id or str(uuid.uuid4())
    command = PlainSend(
        journey_id=journey_id,
        subscription_id=f"sub_{journey_id[:8]}",
        customer_id="cus_1",
        step=step,
        attempt=1,
        message=message,
        channel=channel,
        category=category,
        segment=segment,
        marketing_consent=consent,
        recipient=Recipient(
            email=email_address or f"{journey_id[:8]}@example.com",
            name="Ada Lovelace",
            company="Engines Ltd" if segment == "b2b" else None,
            locale=locale,
            timezone=timezone,
        ),
        facts={"plan": "Pro", "effective_at": effective_at, "cancelled_at": "2026-11-24T10:00:00+00:00", **facts},
    )
    return str(uuid.uuid4()), command


class Orchestrator(PlayedOrchestrator):
    """Sends sealed, signed commands to the notifier and reads its answers, over the real broker."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            database_url=settings.database_url,
            keyring_schema=settings.keyring_schema,
            topic=settings.topic_commands,
        )
        self.settings = settings

    async def results(self, command_ids: set[str], within: float = 20.0) -> dict[str, dict]:
        """The results for these commands (data of each, keyed by command id)."""

        def found(records):
            return {
                d["command_id"]: d
                for d in (json.loads(r.value)["data"] for r in records)
                if d.get("command_id") in command_ids
            }

        records = await read_topic(
            self.settings.kafka_bootstrap_servers,
            self.settings.topic_step_results,
            until=lambda rs: len(found(rs)) >= len(command_ids),
            within=within,
        )
        return found(records)

    async def unsubscribes(self, journey_id: str) -> list[dict]:
        """The unsubscribes the notifier reported for this journey (data of each), once there is one."""

        def found(records):
            events = [json.loads(r.value) for r in records]
            return [
                e["data"]
                for e in events
                if e["type"] == CustomerUnsubscribed.event_type and e["data"]["journey_id"] == journey_id
            ]

        records = await read_topic(
            self.settings.kafka_bootstrap_servers, self.settings.topic_step_results, until=lambda rs: found(rs)
        )
        return found(records)


def mail_to(maildir: Path, address: str) -> list[email.message.EmailMessage]:
    """Messages in the sink's Maildir addressed to `address`."""
    out = []
    for path in sorted((maildir / "new").glob("*")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if address in (message["X-RcptTo"] or "") or address in (message["To"] or ""):
            out.append(message)
    return out
