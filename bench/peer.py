"""The peer, side by side (`make bench-peer`; not in CI): our end-to-end run, then the same job on a Temporal
dev server (Temporal CLI v1.5.1, durable SQLite store) with one Python worker (temporalio), on the same machine,
one right after the other, with the CPU per cancellation of every process in one table.

The same job: N cancellations at once; for each, a confirmation and a survey invitation rendered and sent over
SMTP to a fresh sink (bench/peer_workflow.py, with the notifier's own renderer and SMTP client), then a durable
timer. Ours also creates the survey and publishes the journey events (10 Kafka messages per cancellation).
Prints a table and writes bench/results/peer-<time>.json.
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

import cost
import run
from common import ROOT, wait_for
from e2e.system import free_port
from temporalio.client import Client

from orchestrator.tools.sample_events import cancellation

TEMPORAL = ROOT / ".local" / "tools" / "bin" / "temporal"
WARM_UP = 10


def _emails(maildir: Path) -> int:
    return sum(1 for _ in (maildir / "new").iterdir()) if (maildir / "new").exists() else 0


def _distinct_emails(maildir: Path) -> int:
    """Emails by Message-ID (one per subscription and message): a resent activity does not count twice."""
    ids = set()
    for path in (maildir / "new").iterdir():
        with path.open("rb") as f:
            ids.update(line for line in f if line.lower().startswith(b"message-id:"))
    return len(ids)


async def _client(address: str) -> Client:
    deadline = time.monotonic() + 60
    while True:
        try:
            return await Client.connect(address)
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


async def _start_workflows(client: Client, events: int, name: str) -> None:
    async def start(n: int) -> None:
        sub = f"sub_{name}_{n}"
        data = cancellation(sub, email=f"{sub}@{name}.example").data
        payload = {
            "subscription_id": sub,
            "email": data["customer"]["email"],
            "name": data["customer"]["name"],
            "timezone": data["customer"]["timezone"],
            "plan": data["plan"],
            "cancelled_at": data["cancelled_at"],
            "effective_at": data["effective_at"],
            "survey_url": f"https://survey.example/s/{sub}",
        }
        await client.start_workflow("Offboard", payload, id=f"offboard-{sub}", task_queue="offboarding")

    for first in range(0, events, 200):  # as a billing system would: many at once, not unbounded
        await asyncio.gather(*(start(n) for n in range(first, min(first + 200, events))))


async def peer(events: int, work: Path) -> dict:
    maildir, grpc, sink_port = work / "mail", free_port(), free_port()
    sink = subprocess.Popen(
        [sys.executable, str(ROOT / "deploy" / "smtp_sink.py"), "--port", str(sink_port), "--maildir", str(maildir)]
    )
    server = subprocess.Popen(
        [str(TEMPORAL), "server", "start-dev", "--headless", "--db-filename", str(work / "temporal.db"),
         "--port", str(grpc), "--http-port", str(free_port()), "--metrics-port", str(free_port()),
         "--log-level", "error"],
        stdout=subprocess.DEVNULL,
        stderr=(work / "temporal.log").open("w"),  # its SQLite store logs retried writes under load
    )  # fmt: skip
    worker = None
    try:
        client = await _client(f"127.0.0.1:{grpc}")
        worker = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "peer_worker.py"), "--address", f"127.0.0.1:{grpc}",
             "--smtp-port", str(sink_port)]
        )  # fmt: skip
        # Warm up first (the worker's start, the workflow sandbox's first import), as our services are started
        # and idle before our run.
        await _start_workflows(client, WARM_UP, "warmup")
        await wait_for("the peer's warm-up", lambda: asyncio.sleep(0, _emails(maildir) >= 2 * WARM_UP), 120)
        meter = cost.CpuMeter(
            {
                "temporal_server": lambda: cost.cpu_seconds(server.pid),
                "worker": lambda: cost.cpu_seconds(worker.pid),
                "smtp_sink": lambda: cost.cpu_seconds(sink.pid),
            }
        )
        meter.start()
        started = time.monotonic()
        await _start_workflows(client, events, f"peer{int(time.time())}")
        expected = 2 * (WARM_UP + events)
        await wait_for("the peer's emails", lambda: asyncio.sleep(0, _emails(maildir) >= expected), 3600)
        await wait_for("distinct emails", lambda: asyncio.sleep(0, _distinct_emails(maildir) >= expected), 600)
        seconds = time.monotonic() - started
        cpu = meter.stop()
        duplicates = _emails(maildir) - expected
    finally:
        for process in (worker, server, sink):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)
    return {
        "events": events,
        "seconds": round(seconds, 2),
        "per_s": round(events / seconds, 1),
        "duplicate_emails": duplicates,
        "cpu_ms": {name: round(1000 * s / events, 2) for name, s in cpu.items()}
        | {"total": round(1000 * sum(cpu.values()) / events, 2)},
    }


def table(ours: dict, theirs: dict) -> str:
    o, t = ours["per_cancellation"]["cpu_ms"], theirs["cpu_ms"]
    engine_ours = o["orchestrator"] + o["notifier"] + o["survey"] + o["kafka"] + o["postgresql"]
    rows = [
        ("", "ours", "Temporal dev server + Python worker"),
        ("cancellations/s", f"{ours['per_s']}", f"{theirs['per_s']}"),
        (
            "CPU ms per cancellation, the engine",
            f"{engine_ours:.1f} (services {o['services']}, Kafka {o['kafka']}, PostgreSQL {o['postgresql']})",
            f"{t['temporal_server'] + t['worker']:.1f} (server {t['temporal_server']}, worker {t['worker']})",
        ),
        ("CPU ms per cancellation, SMTP sink", f"{o['smtp_sink']}", f"{t['smtp_sink']}"),
        ("CPU ms per cancellation, all", f"{o['total']}", f"{t['total']}"),
    ]
    width = [max(len(r[i]) for r in rows) for i in range(3)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, width, strict=True)) for r in rows)


async def main(events: int, *, ours_too: bool = True) -> dict:
    if not TEMPORAL.exists():
        raise SystemExit(f"{TEMPORAL} is missing: `make bench-peer` builds it (go install, about 5 minutes)")
    report: dict = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": run.machine()}
    if ours_too:
        ours = await run.main(argparse.Namespace(only="end_to_end", e2e_events=events))
        report["ours"] = ours["end_to_end"]
    with tempfile.TemporaryDirectory(prefix="bench-peer-") as work:
        report["peer"] = await peer(events, Path(work))
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=2_000)
    parser.add_argument("--peer-only", action="store_true", help="only the peer (a quick check of its setup)")
    args = parser.parse_args()
    report = asyncio.run(main(args.events, ours_too=not args.peer_only))
    if args.peer_only:
        print(json.dumps(report["peer"], indent=2))
        raise SystemExit(0)
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"peer-{report['date'].replace(':', '')}.json"
    path.write_text(json.dumps(report, indent=2, default=str))
    print(table(report["ours"], report["peer"]))
    print(f"\nwritten to {path.relative_to(ROOT)}; machine: {report['machine']}")
