"""A quiet day (issue 28): what each service process burns doing nothing, after a minute of quiet, its resident
memory, and then what each cancellation of a trickle costs beyond that idle burn. Measured from outside: CPU from
/proc per process (utime + stime), cancellations published to Kafka at a steady rate to idle services, the run
ending when every confirmation is at the SMTP sink. Each figure is the median of `runs` fresh systems.
"""

import asyncio
import statistics
import time
from pathlib import Path

import cost
from common import KAFKA, PG, PRODUCTION, finish, prepare_topics, publish, start_all, wait_for
from e2e.system import System, mail

from orchestrator.config import SHIPPED_TEMPLATES

SERVICES = ("orchestrator", "notifier", "survey")
WARM_UP = 20  # cancellations before the quiet


async def _confirmed(maildir: Path, system: System, n: int, prefix: str) -> bool:
    """At least n confirmations at the sink for subscriptions whose id starts with `prefix`."""
    found = [m for m in mail(maildir, f"@{system.name}.example") if m["X-Offboarding-Step"] == "confirmation"]
    return sum(m["To"].split("@")[0].split("<")[-1].startswith(prefix) for m in found) >= n


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _cpu(system: System) -> dict[str, float]:
    return {r.service: cost.cpu_seconds(r.process.pid) for r in system.replicas if r.service in SERVICES}


async def _one(
    url: str, sink_port: int, maildir: Path, work: Path, settle: float, idle: float, rate: float, trickle: float
) -> dict:
    # The shipped journeys, as a company runs them (the e2e System would send the exit survey at once): what a
    # cancellation costs up to its first email and the steps due then.
    shipped = {"ORCHESTRATOR_TEMPLATES_DIR": str(SHIPPED_TEMPLATES)}
    system = System(f"bq{int(time.time())}", url, KAFKA, sink_port, maildir, work, overrides=PRODUCTION | shipped)
    work.mkdir(parents=True)
    await prepare_topics(system)
    await start_all(system)
    try:
        # A day had cancellations before the quiet: statements compiled, templates loaded. Without a warm-up the
        # trickle's first cancellations pay for that once per process.
        await publish(system, WARM_UP, prefix="warm")
        await wait_for("the warm-up's confirmations", lambda: _confirmed(maildir, system, WARM_UP, "warm"), 300)
        await asyncio.sleep(settle)  # a minute of quiet
        before = _cpu(system)
        await asyncio.sleep(idle)
        after = _cpu(system)
        idle_ms = {s: 1000 * (after[s] - before[s]) / idle for s in SERVICES}
        rss = {r.service: round(_rss_mib(r.process.pid), 1) for r in system.replicas if r.service in SERVICES}
        events = round(rate * trickle)
        started, before = time.monotonic(), _cpu(system)
        await publish(system, events, rate=rate)

        await wait_for("the trickle's confirmations", lambda: _confirmed(maildir, system, events, "sub"), 600)
        elapsed, after = time.monotonic() - started, _cpu(system)
    finally:
        await finish(system)
    beyond = {s: (1000 * (after[s] - before[s]) - idle_ms[s] * elapsed) / events for s in SERVICES}
    return {"idle_ms_per_s": idle_ms, "rss_mib": rss, "trickle_ms_per_cancellation": beyond}


async def quiet(
    database: str,
    sink_port: int,
    maildir: Path,
    work: Path,
    runs: int = 3,
    *,
    settle: float = 60,
    idle: float = 60,
    rate: float = 5,
    trickle: float = 60,
) -> dict:
    results = []
    for n in range(runs):
        results.append(
            await _one(f"{PG}/{database}", sink_port, maildir, work / f"quiet{n}", settle, idle, rate, trickle)
        )

    def median(key: str) -> dict[str, float]:
        return {s: round(statistics.median(r[key][s] for r in results), 2) for s in SERVICES}

    return {
        "runs": runs,
        "rate_per_s": rate,
        "idle_ms_per_s": median("idle_ms_per_s"),
        "rss_mib_after_trickle_start": median("rss_mib"),
        "trickle_ms_per_cancellation_beyond_idle": median("trickle_ms_per_cancellation"),
        "trickle_ms_per_cancellation_all_services": round(
            statistics.median(sum(r["trickle_ms_per_cancellation"].values()) for r in results), 2
        ),
        "each_run": results,
    }
