"""Notifier integration fixtures: real Kafka, PostgreSQL and SMTP sink; the notifier's parts in-process; the
orchestrator played by `Orchestrator`, which sends commands over Kafka and reads the results."""

import email
import email.policy
import json
import uuid
from collections.abc import Callable
from datetime import time
from pathlib import Path

import pytest

from notifier.config import Settings
from shared.events.commands import CustomerUnsubscribed, Recipient, SendMessage
from shared.events.envelope import new_event
from shared.messaging.producer import create_producer
from shared.runtime import Runtime
from shared.testing import read_topic
from shared.testing import running as shared_running

SERVICE_DIR = Path(__file__).resolve().parents[2]
TOKENS = "viewer-token:viewer,operator-token:operator"


@pytest.fixture
def settings_for(database_url, kafka_bootstrap, unique_name, smtp_sink) -> Callable[..., Settings]:
    def make(**overrides) -> Settings:
        t = unique_name
        values = dict(
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
) -> tuple[str, SendMessage]:
    journey_id = journey_id or str(uuid.uuid4())
    command = SendMessage(
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


class Orchestrator:
    """Sends commands to the notifier and reads its answers, over the real broker."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.producer = create_producer(settings.kafka_bootstrap_servers, client_id="orchestrator-double")

    async def __aenter__(self) -> "Orchestrator":
        await self.producer.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.producer.stop()

    async def send(self, command_id: str, command, **raw_changes) -> None:
        """Send `command`; `raw_changes` overwrite fields of its data as they go on the wire, unvalidated (what
        a hand-made command on the internal topic could say)."""
        data = command.model_dump(mode="json")
        for key, value in raw_changes.items():
            data[key] = data[key] | value if isinstance(value, dict) else value
        event = new_event(command.event_type, "offboarding/orchestrator", data)
        value = json.loads(event.to_json_bytes()) | {"id": command_id}
        await self.producer.send_and_wait(
            self.settings.topic_commands, json.dumps(value).encode(), key=command.subscription_id.encode()
        )

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
