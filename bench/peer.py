"""The peers, side by side (`make bench-peer`; not in CI): our end-to-end run, then the same job on a Temporal
dev server (Temporal CLI v1.5.1, durable SQLite store) with one Python worker (temporalio), then on a Restate
server (1.7.12, from npm, its own durable log and RocksDB) with one Python service (restate-sdk 1.2.0 under
hypercorn), on the same machine, one right after the other, with the CPU per cancellation of every process.

The same job: N cancellations at once; for each, a confirmation and a survey invitation rendered and sent over
SMTP to a fresh sink (bench/peer_email.py, with the notifier's own renderer and SMTP client), each a journaled
step, then a durable timer. Ours also creates the survey and publishes the journey events. Each run's latency is
from a cancellation's submission (ours: its event's time) to its confirmation at the sink.
Prints a table and writes bench/results/peer-<time>.json.
"""

import argparse
import asyncio
import contextlib
import email
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import cost
import httpx
import run
from common import ROOT, percentile, save_result, wait_for
from e2e.system import free_port
from temporalio.client import Client

from orchestrator.tools.sample_events import cancellation

TEMPORAL = ROOT / ".local" / "tools" / "bin" / "temporal"
RESTATE = ROOT / ".local" / "tools" / "restate" / "node_modules" / "@restatedev" / "restate-server-linux-x64" / "bin"
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


def _confirmation_arrivals(maildir: Path) -> dict[str, float]:
    """subscription id -> when its confirmation reached the sink (the peers put the subscription as the journey)."""
    found = {}
    for path in (maildir / "new").iterdir():
        message = email.message_from_bytes(path.read_bytes())
        if message["X-Offboarding-Step"] == "cancellation_confirmation":
            found[str(message["X-Offboarding-Journey"])] = float(message["X-Sink-Received-At"])
    return found


def _latency(submitted: dict[str, float], maildir: Path) -> dict[str, float]:
    arrived = _confirmation_arrivals(maildir)
    samples = [arrived[sub] - at for sub, at in submitted.items() if sub in arrived]
    return {"p50_s": round(percentile(samples, 50), 2), "p99_s": round(percentile(samples, 99), 2)}


def _payload(sub: str, name: str) -> dict:
    data = cancellation(sub, email=f"{sub}@{name}.example").data
    return {
        "subscription_id": sub,
        "email": data["customer"]["email"],
        "name": data["customer"]["name"],
        "timezone": data["customer"]["timezone"],
        "plan": data["plan"],
        "cancelled_at": data["cancelled_at"],
        "effective_at": data["effective_at"],
        "survey_url": f"https://survey.example/s/{sub}",
    }


async def _client(address: str) -> Client:
    deadline = time.monotonic() + 60
    while True:
        try:
            return await Client.connect(address)
        except Exception:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.5)


Starter = Callable[[str, dict], Awaitable[object]]  # starts one peer workflow: (subscription id, payload)


async def _submit(events: int, name: str, start_one: Starter) -> dict[str, float]:
    """Start `events` workflows, 200 at a time as a billing system would (many at once, not unbounded); when each
    was submitted, by subscription id."""
    submitted: dict[str, float] = {}

    async def start(n: int) -> None:
        sub = f"sub_{name}_{n}"
        submitted[sub] = time.time()
        await start_one(sub, _payload(sub, name))

    for first in range(0, events, 200):
        await asyncio.gather(*(start(n) for n in range(first, min(first + 200, events))))
    return submitted


def _temporal_starter(client: Client) -> Starter:
    return lambda sub, payload: client.start_workflow(
        "Offboard", payload, id=f"offboard-{sub}", task_queue="offboarding"
    )


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
        await _submit(WARM_UP, "warmup", _temporal_starter(client))
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
        submitted = await _submit(events, f"peer{int(time.time())}", _temporal_starter(client))
        result = await _measured(maildir, events, started, meter) | {"latency": _latency(submitted, maildir)}
    finally:
        _stop(worker, server, sink)
    return result


def _stop(*processes: subprocess.Popen | None) -> None:
    """Terminate, and kill what has not ended after 30 s (with its children: hypercorn's worker)."""
    for process in processes:
        if process is None:
            continue
        children = cost.descendants(process.pid)
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


async def _measured(maildir: Path, events: int, started: float, meter: "cost.CpuMeter") -> dict:
    """Wait for every email of the run (and the warm-up), then its figures."""
    expected = 2 * (WARM_UP + events)
    await wait_for("the peer's emails", lambda: asyncio.sleep(0, _emails(maildir) >= expected), 3600)
    await wait_for("distinct emails", lambda: asyncio.sleep(0, _distinct_emails(maildir) >= expected), 600)
    seconds = time.monotonic() - started
    cpu = meter.stop()
    return {
        "events": events,
        "seconds": round(seconds, 2),
        "per_s": round(events / seconds, 1),
        "duplicate_emails": _emails(maildir) - expected,
        "cpu_ms": {name: round(1000 * s / events, 2) for name, s in cpu.items()}
        | {"total": round(1000 * sum(cpu.values()) / events, 2)},
    }


async def restate_peer(events: int, work: Path) -> dict:
    """The same job on Restate: its server, the Offboard workflow served by hypercorn (bench/peer_restate.py),
    registered through the admin API; each cancellation one workflow started through the ingress."""
    maildir, sink_port = work / "mail", free_port()
    ingress, admin, node, service = free_port(), free_port(), free_port(), free_port()
    sink = subprocess.Popen(
        [sys.executable, str(ROOT / "deploy" / "smtp_sink.py"), "--port", str(sink_port), "--maildir", str(maildir)]
    )
    environment = os.environ | {
        "RESTATE_BASE_DIR": str(work / "restate"),
        "RESTATE_INGRESS__BIND_ADDRESS": f"127.0.0.1:{ingress}",
        "RESTATE_ADMIN__BIND_ADDRESS": f"127.0.0.1:{admin}",
        "RESTATE_BIND_ADDRESS": f"127.0.0.1:{node}",
        "RESTATE_ADVERTISED_ADDRESS": f"http://127.0.0.1:{node}",
        "RESTATE_LOG_FILTER": "warn",
        "RESTATE_DISABLE_TELEMETRY": "true",
    }
    server = subprocess.Popen(
        [str(RESTATE / "restate-server")],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=(work / "restate.log").open("w"),
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "hypercorn", "--bind", f"127.0.0.1:{service}", "peer_restate:app"],
        cwd=ROOT / "bench",
        env=os.environ | {"SMTP_PORT": str(sink_port)},
        stdout=subprocess.DEVNULL,
        stderr=(work / "worker.log").open("w"),
    )
    try:
        async with httpx.AsyncClient(timeout=60) as http:
            await _register(http, f"http://127.0.0.1:{admin}", f"http://127.0.0.1:{service}")
            start = _restate_starter(http, f"http://127.0.0.1:{ingress}")
            await _submit(WARM_UP, "warmup", start)
            await wait_for("the peer's warm-up", lambda: asyncio.sleep(0, _emails(maildir) >= 2 * WARM_UP), 120)
            meter = cost.CpuMeter(
                {
                    "restate_server": lambda: cost.cpu_seconds(server.pid),
                    "service": lambda: cost.tree_cpu_seconds(worker.pid),  # hypercorn serves in a child process
                    "smtp_sink": lambda: cost.cpu_seconds(sink.pid),
                }
            )
            meter.start()
            started = time.monotonic()
            submitted = await _submit(events, f"peer{int(time.time())}", start)
            result = await _measured(maildir, events, started, meter) | {"latency": _latency(submitted, maildir)}
    finally:
        _stop(worker, server, sink)
    return result


async def _register(http: httpx.AsyncClient, admin: str, service: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            answer = await http.post(f"{admin}/deployments", json={"uri": service})
            if answer.status_code < 300:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("benchmark: the Restate peer's service could not be registered")
        await asyncio.sleep(0.5)


def _restate_starter(http: httpx.AsyncClient, ingress: str) -> Starter:
    async def start_one(sub: str, payload: dict) -> None:
        answer = await http.post(f"{ingress}/Offboard/{sub}/run/send", json=payload)
        answer.raise_for_status()

    return start_one


def table(ours: dict, temporal: dict, restate: dict) -> str:
    o, t, r = ours["per_cancellation"]["cpu_ms"], temporal["cpu_ms"], restate["cpu_ms"]
    engine_ours = o["orchestrator"] + o["notifier"] + o["survey"] + o["kafka"] + o["postgresql"]

    def latency(run: dict) -> str:
        return f"{run['latency']['p50_s']} / {run['latency']['p99_s']}" if "latency" in run else "not measured"

    rows = [
        ("", "ours", "Temporal dev server + Python worker", "Restate server + Python service"),
        ("cancellations/s", f"{ours['per_s']}", f"{temporal['per_s']}", f"{restate['per_s']}"),
        ("to the confirmation, p50 / p99 (s)", latency(ours), latency(temporal), latency(restate)),
        (
            "CPU ms per cancellation, the engine",
            f"{engine_ours:.1f} (services {o['services']}, Kafka {o['kafka']}, PostgreSQL {o['postgresql']})",
            f"{t['temporal_server'] + t['worker']:.1f} (server {t['temporal_server']}, worker {t['worker']})",
            f"{r['restate_server'] + r['service']:.1f} (server {r['restate_server']}, service {r['service']})",
        ),
        ("CPU ms per cancellation, SMTP sink", f"{o['smtp_sink']}", f"{t['smtp_sink']}", f"{r['smtp_sink']}"),
        ("CPU ms per cancellation, all", f"{o['total']}", f"{t['total']}", f"{r['total']}"),
    ]
    width = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, width, strict=True)) for row in rows)


async def main(events: int, *, ours_too: bool = True, peers: tuple[str, ...] = ("temporal", "restate")) -> dict:
    if "temporal" in peers and not TEMPORAL.exists():
        raise SystemExit(f"{TEMPORAL} is missing: `make bench-peer` builds it (go install, about 5 minutes)")
    if "restate" in peers and not (RESTATE / "restate-server").exists():
        raise SystemExit(f"{RESTATE}/restate-server is missing: `make bench-peer` installs it (npm)")
    report: dict = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": run.machine()}
    if ours_too:
        ours = await run.main(argparse.Namespace(only="end_to_end", e2e_events=events))
        report["ours"] = ours["end_to_end"]
    for name, measure in (("peer", peer), ("restate", restate_peer)):
        if ("temporal" if name == "peer" else name) in peers:
            with tempfile.TemporaryDirectory(prefix="bench-peer-") as work:
                report[name] = await measure(events, Path(work))
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=2_000)
    parser.add_argument("--peer-only", action="store_true", help="only the peers (a quick check of their setup)")
    parser.add_argument("--peers", default="temporal,restate", help="which peers: temporal, restate or both")
    args = parser.parse_args()
    peers = tuple(args.peers.split(","))
    report = asyncio.run(main(args.events, ours_too=not args.peer_only, peers=peers))
    partial = args.peer_only or len(peers) < 2  # kept too, named after what ran
    ran = "-".join(k for k in ("ours", "peer", "restate") if k in report) if partial else ""
    path = save_result(report, prefix="peer-", suffix=ran)
    if partial:
        print(json.dumps({k: v for k, v in report.items() if k in ("ours", "peer", "restate")}, indent=2))
    else:
        print(table(report["ours"], report["peer"], report["restate"]))
    print(f"\nwritten to {path}; machine: {report['machine']}")
