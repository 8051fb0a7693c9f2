"""The customer's own page: 50 visitors at once (the default), each opening another leaving customer's page
(/p/<token>) again and again, against the survey service in its own process. Every view is a real one: the page
found by its token's hash, its visit counted (a write), the journey's survey and latest help request read, the
page rendered. Measured: views per second, the survey service's CPU ms per view (from /proc), and the latency
of each answer as the visitor sees it (p50, p99; the target is a p99 under 50 ms on this machine). The pages are
seeded in SQL (as the orchestrator's updates would leave them), half of them with an open survey."""

import asyncio
import secrets
import time
from pathlib import Path

import httpx
from common import KAFKA, PG, ROOT, finish, percentile, prepare_topics, sql
from cost import cpu_seconds, reset_statements, statements_and_transactions
from e2e.system import System

from shared.db.migrations import upgrade_head
from survey.service_layer.customer_pages import token_hash

WARM_UP = 100
SEED_PAGES = """
INSERT INTO "{s}_survey".customer_pages (journey_id, token_hash, subscription_id, customer_id, segment, template,
    variant, initiated_by, status, plan, locale, timezone, cancelled_at, effective_at, deletion_at, updated_at,
    valid_until)
SELECT 'j-' || g, h, 'sub_' || g, 'cus_' || g, CASE WHEN g % 5 = 0 THEN 'b2b' ELSE 'b2c' END, 'b2c-voluntary', NULL,
    'customer', 'active', 'pro-monthly', CASE WHEN g % 2 = 0 THEN 'de' ELSE 'en' END, 'Europe/Berlin',
    now() - interval '1 day', now() + interval '12 days', now() + interval '42 days', now(), now() + interval '132 days'
FROM unnest(CAST(:hashes AS text[])) WITH ORDINALITY AS t(h, g)
"""
SEED_SURVEYS = """
INSERT INTO "{s}_survey".surveys (id, journey_id, subscription_id, customer_id, segment, plan, template, locale,
    token_hash, created_at, expires_at)
SELECT gen_random_uuid(), 'j-' || g, 'sub_' || g, 'cus_' || g, 'b2c', 'pro-monthly', 'b2c-voluntary', 'en',
    md5('s' || g), now(), now() + interval '30 days'
FROM generate_series(1, {n}, 2) g
"""


async def customer_page(database: str, sink_port: int, maildir: Path, work: Path, views: int, visitors: int) -> dict:
    url = f"{PG}/{database}"
    (work / "page").mkdir()
    system = System(f"bp{int(time.time())}", url, KAFKA, sink_port, maildir, work / "page")
    for service in ("orchestrator", "survey"):  # the survey service reads the orchestrator's journey keys
        schema = f"{system.name}_{service}"
        await asyncio.to_thread(upgrade_head, ROOT / "services" / service, database_url=url, schema=schema)
    pages = max(visitors * 4, views // 5)  # each page viewed about five times: within its rate limit
    tokens = [secrets.token_urlsafe(16) for _ in range(pages)]
    await sql(url, SEED_PAGES.format(s=system.name), {"hashes": [token_hash(t) for t in tokens]})
    await sql(url, SEED_SURVEYS.format(s=system.name, n=pages))
    await prepare_topics(system)
    system.service_env["survey"] = {"SURVEY_LOG_LEVEL": "WARNING"}
    try:
        replica = await system.start("survey")
        base = f"http://127.0.0.1:{replica.port}"
        paths = [f"/p/{tokens[i % pages]}" for i in range(views + WARM_UP)]
        counting = await reset_statements(sql, f"{PG}/postgres")
        before, _ = await statements_and_transactions(sql, f"{PG}/postgres", database)
        report = {"pages": pages, "visitors": visitors} | await _measure(base, paths, visitors, replica.process.pid)
        after, _ = await statements_and_transactions(sql, f"{PG}/postgres", database)
        if counting and after:
            report["sql_statements_per_view"] = round((after - before) / (len(paths)), 1)
        return report
    finally:
        await finish(system)


async def _measure(base: str, paths: list[str], visitors: int, pid: int) -> dict:
    limits = httpx.Limits(max_connections=visitors, max_keepalive_connections=visitors)
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as client:

        async def view(path: str) -> float:
            started = time.perf_counter()
            answer = await client.get(path)
            if answer.status_code != 200 or "<h1>" not in answer.text:
                raise RuntimeError(f"customer page: {path[:8]}… answered {answer.status_code}")
            return time.perf_counter() - started

        for path in paths[:WARM_UP]:
            await view(path)
        queue: asyncio.Queue = asyncio.Queue()
        for path in paths[WARM_UP:]:
            queue.put_nowait(path)

        async def visitor() -> None:
            while not queue.empty():
                latencies.append(await view(queue.get_nowait()))

        cpu = cpu_seconds(pid)
        started = time.perf_counter()
        await asyncio.gather(*(visitor() for _ in range(visitors)))
        seconds = time.perf_counter() - started
        cpu = cpu_seconds(pid) - cpu
    n = len(paths) - WARM_UP
    return {
        "views": n,
        "seconds": round(seconds, 2),
        "per_s": round(n / seconds, 1),
        "cpu_ms_per_view": round(cpu * 1000 / n, 2),
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
    }
