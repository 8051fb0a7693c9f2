"""The whole system as separate processes, for end-to-end and fault tests.

Each service runs as `python -m <service>` (what `make run` starts), on its own schema and topics named after
the test, talking to the real broker, database and SMTP sink. Services can be killed (-9), restarted and
run as several replicas. The checks at the end read what a customer and support would see: the journeys
through the support API and the emails in the sink's Maildir.
"""

import asyncio
import email
import email.policy
import os
import shutil
import signal
import sys
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from orchestrator.config import SHIPPED_TEMPLATES
from orchestrator.tools.sample_events import cancellation, reactivation
from shared.messaging.producer import create_producer
from shared.testing import free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("orchestrator", "notifier", "survey")  # the billing bridge runs where a test starts it
BRIDGE_STRIPE_SECRET = "whsec_e2e_stripe_secret"
KINDS = [("b2c", "customer"), ("b2b", "customer"), ("b2c", "payment_failure"), ("b2b", "merchant")]


@dataclass
class Replica:
    service: str
    port: int
    log: Path
    process: asyncio.subprocess.Process | None = None


@dataclass
class System:
    name: str
    database_url: str
    kafka: str
    smtp_port: int
    maildir: Path
    workdir: Path
    replicas: list[Replica] = field(default_factory=list)
    log_level: str = "WARNING"  # the personal-data test runs the services at INFO, as production does
    overrides: dict[str, str] = field(default_factory=dict)  # environment set last (the benchmark's settings)
    service_env: dict[str, dict[str, str]] = field(default_factory=dict)  # and each service's own (credentials)

    def topics(self) -> dict[str, str]:
        t = self.name
        return {
            "cancelled": f"{t}.cancelled",
            "reactivated": f"{t}.reactivated",
            "journeys": f"{t}.journeys",
            "notifier": f"{t}.notifier",
            "survey": f"{t}.survey",
            "results": f"{t}.results",
            "responses": f"{t}.responses",
        }

    def templates(self) -> Path:
        """The shipped templates, with the exit survey at once instead of after an hour."""
        folder = self.workdir / "templates"
        if not folder.exists():
            shutil.copytree(SHIPPED_TEMPLATES, folder)
            for name in ("b2c-voluntary.v1.yaml", "b2b-voluntary.v1.yaml"):
                path = folder / name
                path.write_text(
                    path.read_text().replace(
                        "offset: PT1H}\n    when: {fact: initiated_by",
                        "offset: PT0S}\n    when: {fact: initiated_by",
                        1,
                    )
                )
        return folder

    def environment(self, service: str, port: int) -> dict[str, str]:
        t, topics = self.name, self.topics()
        env = {
            **os.environ,
            "DATABASE_URL": self.database_url,
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka,
            "OFFBOARDING_API_TOKENS": "viewer-token:viewer,operator-token:operator",
            "PYTHONUNBUFFERED": "1",
        }
        prefix = "BILLING_" if service == "billing_bridge" else service.upper() + "_"
        common = {
            "DATABASE_SCHEMA": f"{t}_{service}",
            "HTTP_PORT": str(port),
            "HTTP_HOST": "127.0.0.1",
            "TOPIC_PARTITIONS": "3",
            "LOG_LEVEL": self.log_level,
        }
        own = {
            "orchestrator": {
                "TOPIC_SUBSCRIPTION_CANCELLED": topics["cancelled"],
                "TOPIC_SUBSCRIPTION_REACTIVATED": topics["reactivated"],
                "TOPIC_JOURNEY_EVENTS": topics["journeys"],
                "TOPIC_NOTIFIER_COMMANDS": topics["notifier"],
                "TOPIC_SURVEY_COMMANDS": topics["survey"],
                "TOPIC_STEP_RESULTS": topics["results"],
                "TOPIC_SURVEY_RESPONSES": topics["responses"],
                "TEMPLATES_DIR": str(self.templates()),
                "TIMER_INTERVAL_SECONDS": "0.2",
                "STEP_TIMEOUT": "PT20S",
                "RETRY_BASE_DELAY": "PT1S",
                # The console reads the other services' APIs: those running when the orchestrator starts.
                **{f"{peer.upper()}_URL": url for peer, url in self.peer_urls().items()},
            },
            "notifier": {
                "KEYRING_SCHEMA": f"{t}_orchestrator",  # the journey keys that open sealed recipients
                "TOPIC_COMMANDS": topics["notifier"],
                "TOPIC_STEP_RESULTS": topics["results"],
                "SMTP_PORT": str(self.smtp_port),
                "QUIET_HOURS_START": "00:00",
                "QUIET_HOURS_END": "00:00",
                "SEND_LEASE_SECONDS": "5",
                "WEBHOOK_URL": "http://127.0.0.1:9/none",
                "WEBHOOK_ATTEMPTS": "1",
            },
            "billing_bridge": {
                "TOPIC_SUBSCRIPTION_CANCELLED": topics["cancelled"],
                "TOPIC_SUBSCRIPTION_REACTIVATED": topics["reactivated"],
                "STRIPE_WEBHOOK_SECRET": BRIDGE_STRIPE_SECRET,
                "STRIPE_API_KEY": "sk_test_standin",
                "KAFKA_TIMEOUT_SECONDS": "3",
            },
            "survey": {
                "KEYRING_SCHEMA": f"{t}_orchestrator",  # the journey keys that check commands and seal links
                "TOPIC_COMMANDS": topics["survey"],
                "TOPIC_STEP_RESULTS": topics["results"],
                "TOPIC_SURVEY_RESPONSES": topics["responses"],
                "PUBLIC_URL": "http://survey.test",
            },
        }[service]
        own_env = {prefix + k: v for k, v in (common | own).items()}
        return env | own_env | self.overrides | self.service_env.get(service, {})

    def peer_urls(self) -> dict[str, str]:
        return {
            r.service: f"http://127.0.0.1:{r.port}"
            for r in self.replicas
            if r.service in ("notifier", "survey") and r.process and r.process.returncode is None
        }

    async def migrate_all(self) -> None:
        """Every service's migrations, at once (the orchestrator's grant to the others' roles names the roles
        only, so the order does not matter)."""
        await asyncio.gather(*(self.migrate(service) for service in SERVICES))

    async def migrate(self, service: str) -> None:
        """`python -m <service> migrate` as the schema's owner (the test database's superuser), as `make run` and
        the Helm chart's migration job do before the services start as their own roles."""
        env = self.environment(service, 0) | {"DATABASE_URL": self.database_url}
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            service,
            "migrate",
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await process.communicate()
        assert process.returncode == 0, output.decode()[-2000:]

    async def start(self, service: str) -> Replica:
        port = free_port()
        replica = Replica(service, port, self.workdir / f"{service}-{len(self.replicas)}.log")
        self.replicas.append(replica)
        await self._launch(replica)
        return replica

    async def _launch(self, replica: Replica) -> None:
        with replica.log.open("ab") as out:
            replica.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                replica.service,
                env=self.environment(replica.service, replica.port),
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
            )
        await wait_until(lambda: self._ready(replica), within=60, every=0.1)

    async def _ready(self, replica: Replica) -> bool:
        if replica.process.returncode is not None:
            raise AssertionError(f"{replica.service} exited: {replica.log.read_text()[-2000:]}")
        try:
            async with httpx.AsyncClient(timeout=1) as client:
                return (await client.get(f"http://127.0.0.1:{replica.port}/readyz")).status_code == 200
        except httpx.TransportError:
            return False

    async def kill(self, replica: Replica) -> None:
        """kill -9: no goodbye, no commit."""
        replica.process.send_signal(signal.SIGKILL)
        await replica.process.wait()

    async def restart(self, replica: Replica) -> None:
        await self._launch(replica)

    async def stop(self) -> None:
        for replica in self.replicas:
            if replica.process and replica.process.returncode is None:
                replica.process.send_signal(signal.SIGTERM)
        for replica in self.replicas:
            if replica.process and replica.process.returncode is None:
                try:
                    await asyncio.wait_for(replica.process.wait(), 30)
                except TimeoutError:
                    replica.process.kill()

    def orchestrator_api(self) -> httpx.AsyncClient:
        port = next(r.port for r in self.replicas if r.service == "orchestrator" and r.process.returncode is None)
        return httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", timeout=10, headers={"Authorization": "Bearer operator-token"}
        )


class Billing:
    """Publishes a stream of billing events, as a billing system would."""

    def __init__(self, system: System, *, kafka: str | None = None, options: dict | None = None) -> None:
        """`kafka` and `options`: another listener and its credentials (the secured mode's billing user)."""
        self.system = system
        self.producer = create_producer(kafka or system.kafka, client_id="billing", options=options)
        self.subscriptions: dict[str, tuple[str, str]] = {}

    async def __aenter__(self) -> "Billing":
        await self.producer.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.producer.stop()

    def address(self, subscription: str) -> str:
        return f"{subscription}@{self.system.name}.example"

    async def cancel(self, count: int, *, pause: float = 0.0, start: int = 0) -> list[str]:
        subs = []
        for n in range(start, start + count):
            segment, initiated_by = KINDS[n % len(KINDS)]
            sub = f"sub_{self.system.name}_{n}"
            event = cancellation(
                sub, segment=segment, initiated_by=initiated_by, email=self.address(sub), consent=n % 2 == 0
            )
            await self.producer.send_and_wait(
                self.system.topics()["cancelled"], event.to_json_bytes(), key=sub.encode()
            )
            self.subscriptions[sub] = (segment, initiated_by)
            subs.append(sub)
            if pause:
                await asyncio.sleep(pause)
        return subs

    async def reactivate(self, sub: str) -> None:
        event = reactivation(sub, reactivated_at=datetime.now(UTC) + timedelta(seconds=1))
        await self.producer.send_and_wait(self.system.topics()["reactivated"], event.to_json_bytes(), key=sub.encode())

    async def poison(self) -> None:
        await self.producer.send_and_wait(
            self.system.topics()["cancelled"],
            b'{"specversion": "1.0", "id": 42,',
            key=b"poison-" + uuid.uuid4().hex[:6].encode(),
        )


def mail(maildir: Path, domain: str) -> list[email.message.EmailMessage]:
    messages = []
    for path in (maildir / "new").glob("*"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if domain in (message["To"] or ""):
            messages.append(message)
    return messages


def per_step(messages) -> Counter:
    return Counter((m["X-Offboarding-Journey"], m["X-Offboarding-Step"]) for m in messages)


async def journeys_of(api: httpx.AsyncClient, subscriptions) -> dict[str, list[dict]]:
    found = {}
    for sub in subscriptions:
        page = (await api.get("/v1/journeys", params={"subscription_id": sub})).json()
        found[sub] = page["items"]
    return found


def settled(journey: dict) -> bool:
    """The first steps are done: confirmation answered, survey created and its invitation sent (voluntary)."""
    steps = {s["name"]: s for s in journey["steps"]}
    firsts = ["confirmation"]
    if journey["template"] != "involuntary" and journey["initiated_by"] != "merchant":
        firsts += ["exit_survey", "exit_survey_invitation"]
    return all(steps[name]["status"] in ("succeeded", "failed", "skipped") for name in firsts)


async def converge(
    system: System, billing: Billing, *, within: float = 90.0 * int(os.environ.get("E2E_SCALE", "1"))
) -> dict[str, dict]:
    """Wait until every subscription has its journey with the first steps settled; return them."""
    state: dict[str, dict] = {}

    async def done() -> bool:
        async with system.orchestrator_api() as api:
            found = await journeys_of(api, billing.subscriptions)
        state.clear()
        for sub, items in found.items():
            if len(items) != 1 or not settled(items[0]):
                return False
            state[sub] = items[0]
        return True

    await wait_until(done, within=within, every=0.5)
    return state


def check_no_duplicates_and_expected_states(system: System, billing: Billing, journeys: dict[str, dict]) -> None:
    """What every fault test ends with: one journey each, in its expected state, no message twice."""
    messages = mail(system.maildir, f"@{system.name}.example")
    counts = per_step(messages)
    duplicates = {key: n for key, n in counts.items() if n > 1}
    assert not duplicates, f"a customer got a message twice: {duplicates}"
    expected_template = {
        ("b2c", "customer"): "b2c-voluntary",
        ("b2b", "customer"): "b2b-voluntary",
        ("b2c", "payment_failure"): "involuntary",
        ("b2b", "merchant"): "b2b-voluntary",
    }
    for sub, journey in journeys.items():
        assert journey["template"] == expected_template[billing.subscriptions[sub]], sub
        assert journey["status"] == "active", (sub, journey["status"])
        steps = {s["name"]: s for s in journey["steps"]}
        confirmation = steps["confirmation"]
        sent = counts[(journey["id"], "confirmation")]
        if confirmation["status"] == "succeeded":
            assert sent == 1, f"{sub}: confirmation succeeded but {sent} emails"
        else:
            # A send interrupted by kill -9 is never repeated: at most one email, and the step says so.
            assert confirmation["status"] == "failed" and "interrupted" in (confirmation["last_error"] or ""), (
                confirmation
            )
            assert sent <= 1
