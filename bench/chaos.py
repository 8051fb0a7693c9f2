"""`make chaos`: a long run under faults, with a ledger. Not in CI.

Three replicas of every service run as processes on the local stack while billing publishes cancellations at a
steady rate; meanwhile random service processes are killed with SIGKILL (and started again), the Kafka broker
is stopped and started, and PostgreSQL is restarted in immediate mode. Then publishing stops and the system
drains. The ledger compares what was published with the journeys in the orchestrator's database and with the
confirmation emails at the SMTP sink (by their X-Offboarding-Journey and X-Offboarding-Step headers): lost,
duplicated, and how long the system took to recover after each fault (from the fault's start to the
confirmation email of the first cancellation billing began to publish after it; p50 and max per kind).

    python bench/chaos.py [--minutes 20] [--rate 10] [--kills 100] [--broker-restarts 10] [--db-restarts 10]

Writes bench/results/chaos-<time>.json and prints the ledger.
"""

import argparse
import asyncio
import email
import email.policy
import json
import random
import subprocess
import time
from collections import Counter
from datetime import UTC, datetime

from common import KAFKA, PG, PRODUCTION, ROOT, finish, percentile, prepare_topics, sql
from e2e.system import System

from orchestrator.tools.sample_events import cancellation
from shared.messaging.producer import create_producer

MAILDIR = ROOT / ".local" / "mail"
SMTP_PORT = 1025
SERVICES = ("notifier", "survey", "orchestrator")


class Ledger:
    """What was published when, and what each fault was and when."""

    def __init__(self) -> None:
        self.published: dict[str, float] = {}  # subscription -> when billing began to publish it (Unix time)
        self.faults: list[tuple[str, float]] = []  # (kind, when)


async def load(system: System, ledger: Ledger, rate: float, until: float) -> None:
    """Cancellations at `rate` per second until `until`, on a schedule: billing keeps producing while the broker
    is away, so what could not be sent then goes out as soon as it is back (a send that fails is retried)."""
    producer = create_producer(KAFKA, client_id="chaos-billing")
    await producer.start()
    topic, n, began = system.topics()["cancelled"], 0, time.time()
    try:
        while time.time() < until:
            await asyncio.sleep(max(0.0, began + n / rate - time.time()))
            sub = f"sub_{system.name}_{n}"
            event = cancellation(sub, email=f"{sub}@{system.name}.example")
            ledger.published[sub] = time.time()  # when billing began to publish it (it waits out a broker away)
            while True:
                try:
                    await producer.send_and_wait(topic, event.to_json_bytes(), key=sub.encode())
                    break
                except Exception:
                    await asyncio.sleep(0.5)  # the broker is restarting: billing retries, as its outbox would
            n += 1
    finally:
        await producer.stop()


async def faults(system: System, ledger: Ledger, args: argparse.Namespace, until: float) -> None:
    """The faults on a fixed schedule over the run: kills evenly spread (each replica started again in the
    background), broker and database restarts alternating, never two restarts of the infrastructure at once."""
    began, span = time.time(), until - time.time() - 30
    plan = [(span * (i + 0.5) / max(args.kills, 1), "kill") for i in range(args.kills)]
    infra = ["broker"] * args.broker_restarts + ["database"] * args.db_restarts
    random.shuffle(infra)
    plan += [(span * (i + 0.5) / max(len(infra), 1), kind) for i, kind in enumerate(infra)]
    running: list[asyncio.Task] = []
    coming_back: set[int] = set()  # replicas killed and not yet ready again: not killed twice
    for offset, kind in sorted(plan):
        await asyncio.sleep(max(0.0, began + offset - time.time()))
        ledger.faults.append((kind, time.time()))
        if kind == "kill":
            alive = [
                r for r in system.replicas if r.process and r.process.returncode is None and id(r) not in coming_back
            ]
            if alive:
                replica = random.choice(alive)
                await system.kill(replica)
                coming_back.add(id(replica))
                running.append(asyncio.create_task(_come_back(system, replica, coming_back)))
        elif kind == "broker":
            await _infra("kafka.sh", "stop")
            await asyncio.sleep(random.uniform(1.0, 5.0))
            await _infra("kafka.sh", "start")
        else:
            await _infra("postgres.sh", "restart-immediate")
        print(f"{datetime.now(UTC):%H:%M:%S} {kind} ({len(ledger.faults)} faults)", flush=True)
    await asyncio.gather(*running)


async def _come_back(system: System, replica, coming_back: set[int]) -> None:
    await asyncio.sleep(random.uniform(0.5, 3.0))
    await _restart(system, replica)
    coming_back.discard(id(replica))


async def _restart(system: System, replica) -> None:
    """Start a killed replica again; while the broker or the database is restarting it may not get ready in
    time: then it is stopped and started once more."""
    for _ in range(3):
        try:
            await system.restart(replica)
            return
        except AssertionError:
            if replica.process and replica.process.returncode is None:
                await system.kill(replica)
    raise RuntimeError(f"{replica.service} did not come back after three starts; see {replica.log}")


async def _infra(script: str, command: str) -> None:
    await asyncio.to_thread(subprocess.run, [str(ROOT / "deploy" / script), command], check=True, capture_output=True)


class Confirmations:
    """Confirmation emails at the sink, per subscription: their arrival times (the sink stamps them). Each file is
    read once (the sink's Maildir holds every earlier run's mail too)."""

    def __init__(self, system: System) -> None:
        self._suffix = f"@{system.name}.example"
        self._read: dict[str, tuple[str, float] | None] = {}  # mail file -> (subscription, arrival) once read

    def now(self) -> dict[str, list[float]]:
        for path in (MAILDIR / "new").glob("*"):
            if path.name in self._read:
                continue
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            to = str(message["To"] or "")
            mine = self._suffix in to and message["X-Offboarding-Step"] == "confirmation"
            sub = to.split("<")[-1].split("@")[0]
            self._read[path.name] = (sub, float(message["X-Sink-Received-At"])) if mine else None
        found: dict[str, list[float]] = {}
        for entry in self._read.values():
            if entry:
                found.setdefault(entry[0], []).append(entry[1])
        return found


async def journeys(url: str, system: System) -> Counter:
    rows = await sql(url, f'SELECT subscription_id, count(*) FROM "{system.name}_orchestrator".journeys GROUP BY 1')
    return Counter(dict(rows))


async def drain(url: str, system: System, ledger: Ledger, confirmations: Confirmations, within: float) -> None:
    deadline = time.time() + within
    while time.time() < deadline:
        mails, started = confirmations.now(), await journeys(url, system)
        if all(sub in mails and started[sub] for sub in ledger.published):
            return
        await asyncio.sleep(5)


async def deliveries(url: str, system: System) -> dict[str, int]:
    """The notifier's deliveries by status: how many a crash left `unconfirmed`, for one."""
    rows = await sql(url, f'SELECT status, count(*) FROM "{system.name}_notifier".deliveries GROUP BY 1')
    return dict(rows)


def processed_rate(ledger: Ledger, mails: dict[str, list[float]]) -> float:
    """Confirmations per second from the first publish to the last confirmation: with no faults and a rate above
    what the system keeps up with, this is its sustained rate."""
    arrivals = [min(times) for sub, times in mails.items() if sub in ledger.published]
    if not arrivals:
        return 0.0
    return round(len(arrivals) / (max(arrivals) - min(ledger.published.values())), 1)


def recovery(ledger: Ledger, mails: dict[str, list[float]]) -> dict[str, dict]:
    """Per kind of fault: from its start to the confirmation email of the first cancellation billing began to
    publish after it started (a publish waits out a broker that is away)."""
    order = sorted(ledger.published.items(), key=lambda item: item[1])
    times: dict[str, list[float]] = {}
    for kind, at in ledger.faults:
        first = next((sub for sub, when in order if when >= at), None)
        if first and first in mails:
            times.setdefault(kind, []).append(min(mails[first]) - at)
    return {
        kind: {"faults": len(t), "p50_s": round(percentile(t, 50), 1), "max_s": round(max(t), 1)}
        for kind, t in times.items()
    }


async def main(args: argparse.Namespace) -> dict:
    name = f"chaos{int(time.time())}"
    await sql(f"{PG}/postgres", f'CREATE DATABASE "{name}"')
    url = f"{PG}/{name}"
    workdir = ROOT / ".local" / "chaos" / name
    workdir.mkdir(parents=True)
    system = System(name, url, KAFKA, SMTP_PORT, MAILDIR, workdir, overrides=PRODUCTION)
    await prepare_topics(system)
    ledger = Ledger()
    try:
        for _ in range(args.replicas):
            for service in SERVICES:
                await system.start(service)
        began = time.time()
        until = began + args.minutes * 60
        await asyncio.gather(load(system, ledger, args.rate, until), faults(system, ledger, args, until))
        print(f"published {len(ledger.published)} cancellations; draining", flush=True)
        confirmations = Confirmations(system)
        await drain(url, system, ledger, confirmations, within=args.drain_minutes * 60)
        mails, started = confirmations.now(), await journeys(url, system)
        settled = await deliveries(url, system)
    finally:
        await finish(system)
    result = {
        "at": datetime.now(UTC).isoformat(),
        "minutes": args.minutes,
        "rate_per_s": args.rate,
        "replicas_per_service": args.replicas,
        "faults": dict(Counter(kind for kind, _ in ledger.faults)),
        "published": len(ledger.published),
        "journeys_missing": sorted(s for s in ledger.published if not started[s]),
        "journeys_duplicated": sorted(s for s in ledger.published if started[s] > 1),
        "confirmations_missing": sorted(s for s in ledger.published if s not in mails),
        "confirmations_duplicated": sorted(s for s in ledger.published if len(mails.get(s, [])) > 1),
        "recovery": recovery(ledger, mails),
        "deliveries_by_status": settled,
        "processed_per_s": processed_rate(ledger, mails),
    }
    out = ROOT / "bench" / "results" / f"chaos-{datetime.now(UTC):%Y%m%dT%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return result


def report(result: dict) -> None:
    print(
        f"\nchaos: {result['minutes']} min at {result['rate_per_s']}/s, {result['replicas_per_service']} replicas each"
    )
    print(f"faults: {result['faults']}")
    print(f"published {result['published']} cancellations; processed {result['processed_per_s']}/s")
    print(f"deliveries by status: {result['deliveries_by_status']}")
    for what in ("journeys_missing", "journeys_duplicated", "confirmations_missing", "confirmations_duplicated"):
        print(f"  {what.replace('_', ' ')}: {len(result[what])} {result[what][:5]}")
    for kind, figures in result["recovery"].items():
        print(
            f"  recovery after {kind}: p50 {figures['p50_s']} s, max {figures['max_s']} s ({figures['faults']} faults)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=20)
    parser.add_argument("--rate", type=float, default=10, help="cancellations per second")
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--broker-restarts", type=int, default=10)
    parser.add_argument("--db-restarts", type=int, default=10)
    parser.add_argument("--drain-minutes", type=float, default=10)
    outcome = asyncio.run(main(parser.parse_args()))
    report(outcome)
    lost = sum(len(outcome[k]) for k in outcome if k.endswith("missing") or k.endswith("duplicated"))
    raise SystemExit(1 if lost else 0)
