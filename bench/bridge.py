"""The billing bridge's row: signed webhooks posted to the bridge (its own process) as fast as it answers them,
each answered 2xx only once Kafka has its event (acks=all), so every 2xx is a webhook verified, mapped and
published. Two kinds, run one after the other:

  - stripe: `customer.subscription.deleted`, the customer read from the provider's API (the local stand-in,
    its own process, as a real API would be);
  - chargebee: `subscription_cancelled`, the customer in the webhook (no API call).

Measured per kind: accepted webhooks per second, the bridge's CPU ms per webhook (from /proc; the stand-in's
apart), and the latency of the 2xx answer as the caller sees it (p50, p99). The bodies are built and signed
before the clock starts; the caller keeps `concurrency` requests in flight, as a provider's delivery workers
would. The published events are counted on the topic afterwards: the figure is what Kafka holds, not what
was answered. The bridge's rate limit per source address is raised for the run (every request comes from
127.0.0.1)."""

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

import httpx
from common import KAFKA, ROOT, finish, percentile, prepare_topics
from cost import cpu_seconds, kafka_messages
from e2e.system import BRIDGE_STRIPE_SECRET, System, free_port

from billing_bridge.tools import signing
from billing_bridge.tools.samples import chargebee_cancelled, stripe_customer, stripe_deleted

CHARGEBEE_CREDENTIALS = "bench:bench-chargebee-password"
WARM_UP = 50


async def bridge(database_url: str, sink_port: int, maildir: Path, work: Path, webhooks: int, concurrency: int) -> dict:
    (work / "bridge").mkdir()
    system = System(f"bb{int(time.time())}", database_url, KAFKA, sink_port, maildir, work / "bridge")
    await prepare_topics(system)
    standin_port = free_port()
    standin = subprocess.Popen(
        [sys.executable, "-m", "billing_bridge", "standin", "--port", str(standin_port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
    )
    standin_url = f"http://127.0.0.1:{standin_port}"
    system.service_env["billing_bridge"] = {
        "BILLING_STRIPE_API_BASE": f"{standin_url}/stripe",
        "BILLING_CHARGEBEE_WEBHOOK_CREDENTIALS": CHARGEBEE_CREDENTIALS,
        "BILLING_RATE_PER_ADDRESS": "1000000",
        "BILLING_KAFKA_TIMEOUT_SECONDS": "10",
        "BILLING_LOG_LEVEL": "WARNING",
    }
    try:
        await _stand_in_ready(standin_url)
        replica = await system.start("billing_bridge")
        base = f"http://127.0.0.1:{replica.port}"
        report = {"webhooks": webhooks, "concurrency": concurrency}
        for kind in ("stripe", "chargebee"):
            calls = await _signed(kind, system.name, webhooks + WARM_UP, standin_url)
            report[kind] = await _measure(base, calls, concurrency, replica.process.pid, standin.pid)
        report["published"] = (await kafka_messages(KAFKA, {"cancelled": system.topics()["cancelled"]}))["cancelled"]
        expected = 2 * (webhooks + WARM_UP)
        if report["published"] != expected:
            raise RuntimeError(f"bridge: {report['published']} events on the topic, {expected} webhooks accepted")
        return report
    finally:
        standin.terminate()
        await finish(system)


async def _stand_in_ready(url: str) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(200):
            try:
                await client.get(f"{url}/stripe/v1/customers/none")
                return
            except httpx.TransportError:
                await asyncio.sleep(0.05)
    raise RuntimeError("bridge: the providers' stand-in did not start")


async def _signed(kind: str, run: str, n: int, standin_url: str) -> list[tuple[str, bytes, dict]]:
    """(path, body, headers) of n webhooks, each another subscription; Stripe's customers put in the stand-in."""
    now, calls = int(time.time()), []
    async with httpx.AsyncClient(base_url=standin_url) as standin:
        for i in range(n):
            sub = f"sub_{run}_{kind}_{i}"
            if kind == "stripe":
                customer = f"cus_{run}_{i}"
                document = stripe_customer(customer, email=f"{sub}@{run}.example")
                await standin.put(f"/_standin/stripe/customers/{customer}", json=document)
                body = json.dumps(stripe_deleted(sub, customer, now, days=0)).encode()
                calls.append(("/webhooks/stripe", body, signing.stripe_headers(body, BRIDGE_STRIPE_SECRET)))
            else:
                body = json.dumps(chargebee_cancelled(sub, email=f"{sub}@{run}.example", at=now)).encode()
                calls.append(("/webhooks/chargebee", body, signing.chargebee_headers(CHARGEBEE_CREDENTIALS)))
    return calls


async def _measure(base: str, calls: list, concurrency: int, bridge_pid: int, standin_pid: int) -> dict:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:

        async def post(call) -> float:
            path, body, headers = call
            started = time.perf_counter()
            answer = await client.post(path, content=body, headers=headers)
            if answer.status_code != 200 or answer.json().get("status") != "accepted":
                raise RuntimeError(f"bridge: {path} answered {answer.status_code} {answer.text[:200]}")
            return time.perf_counter() - started

        for call in calls[:WARM_UP]:  # connections, the producer's metadata, the first imports
            await post(call)
        measured = calls[WARM_UP:]
        queue: asyncio.Queue = asyncio.Queue()
        for call in measured:
            queue.put_nowait(call)

        async def worker() -> None:
            while not queue.empty():
                latencies.append(await post(queue.get_nowait()))

        cpu_bridge, cpu_standin = cpu_seconds(bridge_pid), cpu_seconds(standin_pid)
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        seconds = time.perf_counter() - started
        cpu_bridge, cpu_standin = cpu_seconds(bridge_pid) - cpu_bridge, cpu_seconds(standin_pid) - cpu_standin
    n = len(measured)
    return {
        "accepted": n,
        "seconds": round(seconds, 2),
        "per_s": round(n / seconds, 1),
        "bridge_cpu_ms_per_webhook": round(cpu_bridge * 1000 / n, 2),
        "standin_cpu_ms_per_webhook": round(cpu_standin * 1000 / n, 2),
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
    }
