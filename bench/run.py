"""The benchmark (`make bench`): the whole system against the machine's own limits, in one run.

Measures, on the local stack (started if needed) with every service as its own process:
  - raw Kafka: aiokafka produce and consume rates on the same broker;
  - pgbench: the orchestrator's per-event writes as one transaction per event (-c 8), the database's limit;
  - orchestrator intake alone: pre-published cancellations to journeys and outbox rows, events/s;
  - end to end, sustained: cancellations published at once to idle services, fully processed (journey
    started, confirmation email accepted by the SMTP sink, survey created), per second; with the cost of one
    cancellation (bench/cost.py): CPU ms of every process, SQL statements and transactions, Kafka messages;
  - latency from the event's time to the confirmation's arrival at the sink, at half the sustained rate;
  - the support API at 1,000,000 journeys: search and detail, p50/p99 under concurrent requests;
  - the notifier's CPU per email before the wire (bench/email_build.py): context, blocks, layout, MIME bytes;
  - delivery feedback (bench/feedback.py): bounce reports mailed to the notifier's listener per second, its CPU
    and SQL statements per report;
  - the billing bridge (bench/bridge.py): signed webhooks accepted end to end (verified, published with
    acks=all) per second, its CPU ms per webhook, the p99 of the 2xx answer;
  - the customer's own page (bench/customer_page.py): 50 visitors at once, views per second, the survey
    service's CPU ms per view, p50/p99 of the answer (target p99 < 50 ms).
Prints a table and writes bench/results/<timestamp>.json. Everything runs on loopback.
"""

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

# bench/common.py, beside this file, puts the project on the import path: it comes before the project's imports.
import bridge
import cost
import customer_page
import dry_run
import email_build
import feedback
import limits
import quiet
import support
from common import (
    KAFKA,
    PG,
    PRODUCTION,
    ROOT,
    count,
    finish,
    has,
    percentile,
    prepare_topics,
    publish,
    save_result,
    sql,
    start_all,
    wait_for,
)
from e2e.system import System, free_port, mail
from report import machine, table

# ----- the system -------------------------------------------------------------------------------------------


async def intake(database: str, sink_port: int, maildir: Path, work: Path, events: int) -> dict:
    url = f"{PG}/{database}"
    system = System(f"bi{int(time.time())}", url, KAFKA, sink_port, maildir, work / "intake", overrides=PRODUCTION)
    (work / "intake").mkdir()
    await prepare_topics(system)
    await publish(system, events)
    await system.start("orchestrator")
    schema = f"{system.name}_orchestrator"
    try:
        await wait_for("intake", lambda: has(url, schema, "journeys", events), 600)
        # Journeys of one batch share a transaction (xmin). Counting from the end of the first batch to the end
        # of the last leaves out start-up and the first batch, whose start is not recorded.
        batches = await sql(
            url, f'SELECT count(*), max(started_at) FROM "{schema}".journeys GROUP BY xmin::text ORDER BY 2'
        )
        outbox = await count(url, schema, "outbox")
    finally:
        await finish(system)
    if len(batches) < 3:
        raise RuntimeError(f"intake: {events} events fit in {len(batches)} batches; use more events")
    measured = events - batches[0][0]
    seconds = (batches[-1][1] - batches[0][1]).total_seconds()
    return {
        "events": events,
        "batches": len(batches),
        "measured_events": measured,
        "seconds": round(seconds, 2),
        "per_s": round(measured / seconds),
        "outbox_rows": outbox,
    }


def confirmations(maildir: Path, system: System) -> dict[str, float]:
    """journey id -> arrival time at the sink of its confirmation email."""
    return {
        m["X-Offboarding-Journey"]: float(m["X-Sink-Received-At"])
        for m in mail(maildir, f"@{system.name}.example")
        if m["X-Offboarding-Step"] == "confirmation"
    }


async def end_to_end(database: str, sink_port: int, maildir: Path, work: Path, events: int) -> dict:
    """Services started and idle, then `events` cancellations published at once; the run ends when every
    confirmation is at the sink and every survey exists. Also the cost of each cancellation (bench/cost.py)."""
    url = f"{PG}/{database}"
    system = System(f"be{int(time.time())}", url, KAFKA, sink_port, maildir, work / "e2e", overrides=PRODUCTION)
    (work / "e2e").mkdir()
    await prepare_topics(system)
    await start_all(system)
    run_cost = cost.RunCost(system, sink_port, sql, url, database, KAFKA)
    try:

        async def done() -> bool:
            # The maildir first: the database is asked only at the end, so the polling costs it nothing.
            return len(confirmations(maildir, system)) >= events and await has(
                url, f"{system.name}_survey", "surveys", events
            )

        await run_cost.start()
        await publish(system, events)
        await wait_for("end-to-end", done, 1800)
        await run_cost.stop()
        first = (await sql(url, f'SELECT min(started_at) FROM "{system.name}_orchestrator".journeys'))[0][0]
        surveys_done = (await sql(url, f'SELECT max(created_at) FROM "{system.name}_survey".surveys'))[0][0]
        arrived = confirmations(maildir, system)
        published = await sql(url, f'SELECT id::text, cancelled_at FROM "{system.name}_orchestrator".journeys')
    finally:
        await finish(system)
    seconds = max(surveys_done.timestamp(), max(arrived.values())) - first.timestamp()
    # Each cancellation from its publishing (its event's time) to its confirmation at the sink.
    waits = [arrived[j] - at.timestamp() for j, at in published if j in arrived]
    return {
        "events": events,
        "seconds": round(seconds, 2),
        "per_s": round(events / seconds, 1),
        "latency": {"p50_s": round(percentile(waits, 50), 2), "p99_s": round(percentile(waits, 99), 2)},
        "per_cancellation": run_cost.per_cancellation(events),
    }


async def latency(database: str, sink_port: int, maildir: Path, work: Path, rate: float, seconds: int) -> dict:
    url = f"{PG}/{database}"
    system = System(f"bl{int(time.time())}", url, KAFKA, sink_port, maildir, work / "latency", overrides=PRODUCTION)
    (work / "latency").mkdir()
    await prepare_topics(system)
    await start_all(system)
    events = max(1, int(rate * seconds))
    run_cost = cost.RunCost(system, sink_port, sql, url, database, KAFKA)
    try:
        await run_cost.start()
        await publish(system, events, rate=rate)
        await wait_for("latency run", lambda: _arrived(maildir, system, events), 600)
        await run_cost.stop()
        stages = await sql(
            url,
            f"""SELECT j.id::text, j.cancelled_at, j.started_at, d.created_at, d.claimed_at, d.sent_at
                FROM "{system.name}_orchestrator".journeys j
                JOIN "{system.name}_notifier".deliveries d ON d.journey_id = j.id::text AND d.step = 'confirmation'""",
        )
    finally:
        await finish(system)
    arrived = confirmations(maildir, system)
    samples = [1000 * (arrived[r[0]] - r[1].timestamp()) for r in stages if r[0] in arrived]
    return {
        "rate_per_s": round(rate, 1),
        "events": events,
        "p50_ms": round(percentile(samples, 50), 1),
        "p95_ms": round(percentile(samples, 95), 1),
        "p99_ms": round(percentile(samples, 99), 1),
        "stages_p50_ms": _stages(stages, arrived, 50),
        "stages_p95_ms": _stages(stages, arrived, 95),
        # Paced, the batches are small: what a cancellation costs here is what it costs on a quiet day.
        "per_cancellation": run_cost.per_cancellation(events),
    }


def _stages(rows, arrived: dict[str, float], p: float) -> dict[str, float]:
    """Where the time goes, hop by hop (the p-th percentile of each): publish -> journey started -> queued at the
    notifier -> claimed by its sender -> sent -> at the sink."""
    hops = {"intake": (1, 2), "command_to_notifier": (2, 3), "queue_wait": (3, 4), "render_and_smtp": (4, 5)}
    out = {
        hop: round(percentile([1000 * (r[b] - r[a]).total_seconds() for r in rows if r[a] and r[b]], p), 1)
        for hop, (a, b) in hops.items()
    }
    out["recorded_to_sink"] = round(
        percentile([1000 * (arrived[r[0]] - r[5].timestamp()) for r in rows if r[5] and r[0] in arrived], p), 1
    )
    return out


async def _arrived(maildir: Path, system: System, n: int) -> bool:
    return len(confirmations(maildir, system)) >= n


# ----- the run ----------------------------------------------------------------------------------------------


async def main(args: argparse.Namespace) -> dict:
    subprocess.run([str(ROOT / "deploy" / "infra.sh"), "up"], check=True)
    database = f"bench_{datetime.now(UTC):%Y%m%d%H%M%S}"
    await sql(f"{PG}/postgres", f'CREATE DATABASE "{database}"')
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    sink_port = free_port()
    sink = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "deploy" / "smtp_sink.py"),
            "--port",
            str(sink_port),
            "--maildir",
            str(work / "mail"),
        ]
    )
    report: dict = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine()}
    try:
        step = lambda name: print(f"bench: {name} ...", file=sys.stderr, flush=True)  # noqa: E731
        if args.only:
            # A single measure (for profiling and quick checks): the report holds just that.
            report[args.only] = await SINGLE[args.only](database, sink_port, work / "mail", work, args)
            return report
        step("raw Kafka")
        report["kafka"] = await limits.kafka_raw(args.kafka_messages)
        step("pgbench")
        report["pgbench"] = await limits.pgbench(database, args.pgbench_seconds)
        step("orchestrator intake")
        report["intake"] = await intake(database, sink_port, work / "mail", work, args.intake_events)
        step("end to end, sustained")
        report["end_to_end"] = await end_to_end(database, sink_port, work / "mail", work, args.e2e_events)
        step("latency at half the sustained rate")
        report["latency"] = await latency(
            database, sink_port, work / "mail", work, report["end_to_end"]["per_s"] / 2, args.latency_seconds
        )
        step(f"dry-run over {args.dry_run_journeys:,} past cancellations")
        report["dry_run"] = await SINGLE["dry_run"](database, sink_port, work / "mail", work, args)
        step("building emails")
        report["email_build"] = email_build.email_build(args.emails)
        step(f"billing bridge, {args.webhooks:,} webhooks per provider")
        report["bridge"] = await SINGLE["bridge"](database, sink_port, work / "mail", work, args)
        step(f"delivery feedback, {args.feedback_reports:,} bounce reports")
        report["feedback"] = await SINGLE["feedback"](database, sink_port, work / "mail", work, args)
        step(f"the customer's page, {args.page_views:,} views by {args.page_visitors} visitors at once")
        report["customer_page"] = await SINGLE["customer_page"](database, sink_port, work / "mail", work, args)
        step(f"a quiet day: idle, then 5 cancellations a second ({args.quiet_runs} runs)")
        report["quiet"] = await SINGLE["quiet"](database, sink_port, work / "mail", work, args)
        step(f"support API at {args.api_journeys:,} journeys")
        report["support_api"] = await SINGLE["support_api"](database, sink_port, work / "mail", work, args)
    finally:
        sink.terminate()
        await sql(f"{PG}/postgres", f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    report["ratios"] = {
        "intake_vs_pgbench": round(report["intake"]["per_s"] / report["pgbench"]["tps"], 2),
        "end_to_end_vs_pgbench": round(report["end_to_end"]["per_s"] / report["pgbench"]["tps"], 3),
        "end_to_end_vs_kafka_produce": round(report["end_to_end"]["per_s"] / report["kafka"]["produce_per_s"], 4),
    }
    return report


SINGLE = {
    "support_api": lambda db, port, mail, work, a: support.support_api(
        db, port, mail, work, a.api_journeys, a.api_requests, a.api_concurrency, a.console_concurrency
    ),
    "intake": lambda db, port, mail, work, a: intake(db, port, mail, work, a.intake_events),
    "end_to_end": lambda db, port, mail, work, a: end_to_end(db, port, mail, work, a.e2e_events),
    "latency": lambda db, port, mail, work, a: latency(db, port, mail, work, a.latency_rate, a.latency_seconds),
    "dry_run": lambda db, port, mail, work, a: dry_run.dry_run(db, port, mail, work, a.dry_run_journeys),
    "email_build": lambda db, port, mail, work, a: email_build.email_build(a.emails),
    "feedback": lambda db, port, mail, work, a: feedback.feedback(db, port, mail, work, a.feedback_reports),
    "customer_page": lambda db, port, mail, work, a: customer_page.customer_page(
        db, port, mail, work, a.page_views, a.page_visitors
    ),
    "quiet": lambda db, port, mail, work, a: quiet.quiet(db, port, mail, work, a.quiet_runs, burst=a.quiet_burst),
    "bridge": lambda db, port, mail, work, a: bridge.bridge(
        f"{PG}/{db}", port, mail, work, a.webhooks, a.webhook_concurrency
    ),
}


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kafka-messages", type=int, default=50_000)
    parser.add_argument("--pgbench-seconds", type=int, default=20)
    parser.add_argument("--intake-events", type=int, default=5_000)
    parser.add_argument("--e2e-events", type=int, default=5_000)
    parser.add_argument("--latency-seconds", type=int, default=30)
    parser.add_argument("--latency-rate", type=float, default=30.0, help="events/s of `--only latency`")
    parser.add_argument("--api-journeys", type=int, default=1_000_000)
    parser.add_argument("--dry-run-journeys", type=int, default=100_000)
    parser.add_argument("--api-requests", type=int, default=800)
    parser.add_argument("--api-concurrency", type=int, default=8)
    parser.add_argument("--console-concurrency", type=int, default=2, help="staff members using the console at once")
    parser.add_argument("--emails", type=int, default=2000, help="emails built per round (5 rounds)")
    parser.add_argument("--feedback-reports", type=int, default=2000, help="bounce reports mailed to the notifier")
    parser.add_argument("--webhooks", type=int, default=3000, help="signed webhooks per provider for the bridge row")
    parser.add_argument("--webhook-concurrency", type=int, default=16, help="webhooks in flight at once")
    parser.add_argument("--page-views", type=int, default=5000, help="views of customer pages")
    parser.add_argument("--page-visitors", type=int, default=50, help="customers viewing their page at once")
    parser.add_argument("--quiet-runs", type=int, default=3, help="fresh systems for the quiet-day figures (median)")
    parser.add_argument(
        "--quiet-burst", type=int, default=5_000, help="cancellations at once after the quiet day's trickle"
    )
    parser.add_argument("--only", choices=sorted(SINGLE), help="run just this measure and print its figures")
    args = parser.parse_args()
    report = asyncio.run(main(args))
    # A single measure is kept too (its figures may be the ones a document quotes), named after it.
    path = save_result(report, suffix=args.only or "")
    print(json.dumps(report[args.only], indent=2, default=str) if args.only else table(report))
    print(f"\nwritten to {path}; machine: {report['machine']}")


if __name__ == "__main__":
    cli()
