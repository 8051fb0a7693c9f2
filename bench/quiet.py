"""A quiet day (issue 28): what each service process burns doing nothing, after a minute of quiet (CPU, SQL
statements, resident memory); the SQL statements of one cancellation arriving alone (up to its first email at the
sink, and until the steps due at once have settled); then what each cancellation of a trickle costs beyond the
idle burn, and its latency from publish to the first email; then the same figures for a burst (thousands at once)
and the memory after it. Measured from outside: CPU from /proc per process (utime + stime), statements from
pg_stat_statements, cancellations published to Kafka to idle services, each part ending when every confirmation is
at the SMTP sink. Each figure is the median of `runs` fresh systems.
"""

import asyncio
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cost
from common import KAFKA, PG, PRODUCTION, finish, percentile, prepare_topics, publish, sql, start_all, wait_for
from e2e.system import System
from quiet_sink import CountingSink

from orchestrator.config import SHIPPED_TEMPLATES
from shared.testing import free_port

SERVICES = ("orchestrator", "notifier", "survey")
WARM_UP = 20  # cancellations before the quiet
SETTLE = 5.0  # seconds after the lone cancellation's first email for its other steps due at once


async def _confirmed(sink: CountingSink, n: int, prefix: str) -> bool:
    """At least n confirmations at the sink for subscriptions whose id starts with `prefix`."""
    return sink.confirmed(prefix) >= n


def _rss_mib(system: System) -> dict[str, float]:
    """Resident memory of each service process now."""
    rss = {}
    for r in system.replicas:
        if r.service in SERVICES:
            lines = Path(f"/proc/{r.process.pid}/status").read_text().splitlines()
            rss[r.service] = next((round(int(x.split()[1]) / 1024, 1) for x in lines if x.startswith("VmRSS:")), 0.0)
    return rss


def _cpu(system: System) -> dict[str, float]:
    return {r.service: cost.cpu_seconds(r.process.pid) for r in system.replicas if r.service in SERVICES}


async def _statements(database: str) -> list[tuple[int, str]]:
    """(calls, query) in `database` since the last reset, most first. Read through the `postgres` database, so
    the benchmark's own connections (their set-up statements included) are not counted."""
    rows = await sql(
        f"{PG}/postgres",
        "SELECT s.calls, regexp_replace(s.query, '\\s+', ' ', 'g') FROM pg_stat_statements s "
        "JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = :db ORDER BY s.calls DESC, s.query",
        {"db": database},
    )
    return [(int(calls), query) for calls, query in rows]


async def _lone(system: System, sink: CountingSink, database: str) -> dict:
    """One cancellation to idle services: its statements when its first email reaches the sink (read by the sink
    before it accepts the message, so the send's own record is not yet among them), and once the steps due at
    once have settled, with the statements themselves (the breakdown)."""
    await cost.reset_statements(sql, f"{PG}/postgres")
    sink.watch = "lone"
    await publish(system, 1, prefix="lone")
    await wait_for("the lone cancellation's email", lambda: _confirmed(sink, 1, "lone"), 30)
    await asyncio.sleep(SETTLE)
    settled = await _statements(database)
    return {
        "to_first_email": sink.statements_at_watched,
        "settled": sum(calls for calls, _ in settled),
        "statements": [[calls, query[:160]] for calls, query in settled],
    }


async def _latencies_ms(url: str, system: System, sink: CountingSink, prefix: str) -> list[float]:
    """Publish (the event's `cancelled_at`, set when it is published) to the confirmation at the sink, for the
    subscriptions whose id starts with `prefix`."""
    rows = await sql(
        url,
        f'SELECT id::text, cancelled_at FROM "{system.name}_orchestrator".journeys WHERE subscription_id LIKE :p',
        {"p": f"{prefix}%"},
    )
    return [1000 * (sink.arrived[j][1] - at.timestamp()) for j, at in rows if j in sink.arrived]


async def _profile(system: System, seconds: float) -> list:
    """With BENCH_PROFILE=<dir>: py-spy samples each service through the trickle (raw stacks, <dir>/<service>.txt;
    fold them with bench/profile.py)."""
    out = os.environ.get("BENCH_PROFILE")
    if not out:
        return []
    Path(out).mkdir(parents=True, exist_ok=True)
    py_spy = Path(sys.executable).parent / "py-spy"
    return [
        await asyncio.create_subprocess_exec(
            str(py_spy),
            "record",
            "--nonblocking",
            "-r",
            "250",
            "-d",
            str(int(seconds) + 2),
            "-f",
            "raw",
            "-p",
            str(r.process.pid),
            "-o",
            f"{out}/{r.service}.txt",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        for r in system.replicas
        if r.service in SERVICES
    ]


async def _one(
    url: str, maildir: Path, work: Path, settle: float, idle: float, rate: float, trickle: float, burst_events: int
) -> dict:
    # The shipped journeys, as a company runs them (the e2e System would send the exit survey at once): what a
    # cancellation costs up to its first email and the steps due then.
    shipped = {"ORCHESTRATOR_TEMPLATES_DIR": str(SHIPPED_TEMPLATES)}
    database = url.rsplit("/", 1)[1]
    sink_port = free_port()
    sink = CountingSink(sink_port, database)
    sink.start()
    system = System(f"bq{int(time.time())}", url, KAFKA, sink_port, maildir, work, overrides=PRODUCTION | shipped)
    work.mkdir(parents=True)
    await prepare_topics(system)
    await start_all(system)
    try:
        # A day had cancellations before the quiet: statements compiled, templates loaded. Without a warm-up the
        # trickle's first cancellations pay for that once per process.
        await publish(system, WARM_UP, prefix="warm")
        await wait_for("the warm-up's confirmations", lambda: _confirmed(sink, WARM_UP, "warm"), 300)
        await asyncio.sleep(settle)  # a minute of quiet
        await cost.reset_statements(sql, f"{PG}/postgres")
        before = _cpu(system)
        await asyncio.sleep(idle)
        after = _cpu(system)
        idle_statements = sum(calls for calls, _ in await _statements(database)) / idle
        idle_ms = {s: 1000 * (after[s] - before[s]) / idle for s in SERVICES}
        rss = _rss_mib(system)
        lone = await _lone(system, sink, database)
        events = round(rate * trickle)
        profilers = await _profile(system, trickle)
        started, before = time.monotonic(), _cpu(system)
        await publish(system, events, rate=rate)

        await wait_for("the trickle's confirmations", lambda: _confirmed(sink, events, "sub"), 600)
        elapsed, after = time.monotonic() - started, _cpu(system)
        latencies = await _latencies_ms(url, system, sink, "sub")
        for profiler in profilers:
            await profiler.wait()
        burst = await _burst(url, system, sink, burst_events)
    finally:
        await finish(system)
        sink.stop()
    beyond = {s: (1000 * (after[s] - before[s]) - idle_ms[s] * elapsed) / events for s in SERVICES}
    return {
        "idle_ms_per_s": idle_ms,
        "idle_statements_per_s": round(idle_statements, 2),
        "rss_mib": rss,
        "lone_cancellation": lone,
        "trickle_ms_per_cancellation": beyond,
        "trickle_latency_ms": {"p50": percentile(latencies, 50), "p99": percentile(latencies, 99)},
        "burst": burst,
    }


async def _burst(url: str, system: System, sink: CountingSink, events: int) -> dict:
    """`events` cancellations published at once to the warm system: how fast their confirmations reach the sink,
    what each costs every process up to then (the sink runs in this process: the benchmark's own CPU, publishing
    included), their latency, and each service's memory afterwards."""
    meters = {"kafka": cost.kafka_cpu, "postgresql": cost.postgres_cpu, "sink_and_publisher": cost.own_cpu_seconds}
    started, before = time.monotonic(), _cpu(system) | {name: read() for name, read in meters.items()}
    await publish(system, events, prefix="burst")
    await wait_for("the burst's confirmations", lambda: _confirmed(sink, events, "burst"), 900)
    elapsed = time.monotonic() - started
    after = _cpu(system) | {name: read() for name, read in meters.items()}
    latencies = await _latencies_ms(url, system, sink, "burst")
    return {
        "events": events,
        "per_s": round(events / elapsed, 1),
        "ms_per_cancellation": {name: round(1000 * (after[name] - before[name]) / events, 2) for name in after},
        "latency_s": {"p50": percentile(latencies, 50) / 1000, "p99": percentile(latencies, 99) / 1000},
        "rss_mib_after": _rss_mib(system),
    }


async def quiet(
    database: str,
    sink_port: int,  # unused: each run has its own sink (bench/quiet_sink.py); kept like the other measures' calls
    maildir: Path,
    work: Path,
    runs: int = 3,
    *,
    settle: float = 60,
    idle: float = 60,
    rate: float = 5,
    trickle: float = 60,
    burst: int = 5000,
) -> dict:
    results = []
    for n in range(runs):
        results.append(await _one(f"{PG}/{database}", maildir, work / f"quiet{n}", settle, idle, rate, trickle, burst))

    def median(figures: Callable[[dict], dict[str, float]], names=SERVICES) -> dict[str, float]:
        """Per name, the median over the runs of `figures(run)[name]`."""
        return {n: round(statistics.median(figures(r)[n] for r in results), 2) for n in names}

    return {
        "runs": runs,
        "rate_per_s": rate,
        "idle_ms_per_s": median(lambda r: r["idle_ms_per_s"]),
        "rss_mib_after_trickle_start": median(lambda r: r["rss_mib"]),
        "trickle_ms_per_cancellation_beyond_idle": median(lambda r: r["trickle_ms_per_cancellation"]),
        "trickle_ms_per_cancellation_all_services": round(
            statistics.median(sum(r["trickle_ms_per_cancellation"].values()) for r in results), 2
        ),
        "idle_statements_per_s": statistics.median(r["idle_statements_per_s"] for r in results),
        "lone_statements_to_first_email": statistics.median(r["lone_cancellation"]["to_first_email"] for r in results),
        "lone_statements_settled": statistics.median(r["lone_cancellation"]["settled"] for r in results),
        "trickle_latency_p50_ms": round(statistics.median(r["trickle_latency_ms"]["p50"] for r in results), 1),
        "trickle_latency_p99_ms": round(statistics.median(r["trickle_latency_ms"]["p99"] for r in results), 1),
        "burst_events": burst,
        "burst_per_s": statistics.median(r["burst"]["per_s"] for r in results),
        "burst_ms_per_cancellation": median(
            lambda r: r["burst"]["ms_per_cancellation"], results[0]["burst"]["ms_per_cancellation"]
        ),
        "burst_latency_p50_s": round(statistics.median(r["burst"]["latency_s"]["p50"] for r in results), 2),
        "burst_latency_p99_s": round(statistics.median(r["burst"]["latency_s"]["p99"] for r in results), 2),
        "rss_mib_after_burst": median(lambda r: r["burst"]["rss_mib_after"]),
        "each_run": results,
    }
