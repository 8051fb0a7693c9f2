"""The customer's own page: 50 visitors at once (the default), each opening another leaving customer's page
(/p/<token>) again and again, against the survey service in its own process; twice: paced (each visitor reads a
page for about a second before the next, as people do) and saturated (no pause: the service's ceiling). Every view is a real one: the page
found by its token's hash, its visit counted (a write), the journey's survey and latest help request read, the
page rendered. Measured: views per second, the survey service's CPU ms per view (from /proc), and the latency
of each answer as the visitor sees it (p50, p99; the target is a p99 under 50 ms on this machine). The pages are
seeded in SQL (as the orchestrator's updates would leave them), half of them with an open survey."""

import asyncio
import gc
import random
import re
import secrets
import time
from pathlib import Path

from common import KAFKA, PG, ROOT, finish, percentile, prepare_topics, sql
from cost import cpu_seconds, reset_statements, statements_and_transactions
from e2e.system import System

from shared.db.migrations import upgrade_head
from survey.service_layer.customer_pages import token_hash

WARM_UP = 100
THINK = 1.0  # paced: each visitor reads a page for a second on average (exponential) before the next one
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
        report = {"pages": pages, "visitors": visitors}
        report["paced"] = await _measure(base, paths[: len(paths) // 2], visitors, replica.process.pid, think=THINK)
        report["saturated"] = await _measure(base, paths, visitors, replica.process.pid, think=0)
        after, _ = await statements_and_transactions(sql, f"{PG}/postgres", database)
        if counting and after:
            report["sql_statements_per_view"] = round((after - before) / (len(paths) * 1.5), 1)
        return report
    finally:
        await finish(system)


async def _measure(base: str, paths: list[str], visitors: int, pid: int, *, think: float) -> dict:
    """Each visitor keeps one connection open (a browser's keep-alive) and asks for one page after the other. The
    client is a few lines of asyncio, not httpx: at 50 connections httpx's own CPU, on the same two cores, was
    the limit measured, not the page."""
    host, port = base.removeprefix("http://").split(":")
    latencies: list[float] = []
    queue: asyncio.Queue = asyncio.Queue()

    async def visitor(n: int, warm: bool) -> None:
        connection = await asyncio.open_connection(host, int(port))
        if think and not warm:  # people arrive one by one, not all in the same millisecond
            await asyncio.sleep(random.expovariate(1 / think))
        try:
            while not queue.empty():
                path = queue.get_nowait()
                try:
                    seconds, head, body = await _get(connection, host, path)
                except (asyncio.IncompleteReadError, ConnectionResetError):
                    # The server closed a connection idle past its keep-alive: a browser opens another one.
                    connection[1].close()
                    connection = await asyncio.open_connection(host, int(port))
                    seconds, head, body = await _get(connection, host, path)
                if not head.startswith(b"HTTP/1.1 200") or b"<h1>" not in body:
                    raise RuntimeError(f"customer page: {path[:8]}... answered {head[:40]!r}")
                if not warm:
                    latencies.append(seconds)
                    if think:  # a person reads the page before opening the next one
                        await asyncio.sleep(random.expovariate(1 / think))
        finally:
            connection[1].close()

    for path in paths[:WARM_UP]:
        queue.put_nowait(path)
    await asyncio.gather(*(visitor(n, True) for n in range(min(visitors, 10))))
    for path in paths[WARM_UP:]:
        queue.put_nowait(path)
    # The visitors' own process must not be what is measured: its heap (the harness, SQLAlchemy, the services'
    # modules) is moved out of the garbage collector's way, or a full collection here stalls every open request.
    gc.collect()
    gc.freeze()
    cpu = cpu_seconds(pid)
    started = time.perf_counter()
    await asyncio.gather(*(visitor(n, False) for n in range(visitors)))
    seconds = time.perf_counter() - started
    cpu = cpu_seconds(pid) - cpu
    n = len(latencies)
    return {
        "views": n,
        "seconds": round(seconds, 2),
        "per_s": round(n / seconds, 1),
        "cpu_ms_per_view": round(cpu * 1000 / n, 2),
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
    }


async def _get(connection, host: str, path: str) -> tuple[float, bytes, bytes]:
    reader, writer = connection
    started = time.perf_counter()
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
    body = await reader.readexactly(length)
    return time.perf_counter() - started, head, body
