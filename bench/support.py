"""The support API and the console at a million journeys: seeded in SQL, then searched and read under
concurrent requests (p50/p95/p99 per kind of request)."""

import asyncio
import random
import re
import time
from pathlib import Path

import httpx
import sqlalchemy as sa
from common import KAFKA, PG, finish, percentile, prepare_topics, seed_orchestrator
from e2e.system import System
from sqlalchemy.ext.asyncio import create_async_engine

SEED = """
INSERT INTO journeys (id, subscription_id, customer_id, email_hash, template, template_version, segment, initiated_by,
                      status, started_at, updated_at, cancelled_at, effective_at, next_due_at, facts, event_source, event_id)
SELECT gen_random_uuid(), 'sub_' || g, 'cus_' || (g % 200000), encode(sha256(('sub_' || g || '@example.com')::bytea), 'hex'),
       (ARRAY['b2c-voluntary', 'b2b-voluntary', 'involuntary'])[1 + g % 3], 1, (ARRAY['b2c', 'b2b'])[1 + g % 2], 'customer',
       (ARRAY['active', 'completed', 'cancelled', 'completed', 'failed'])[1 + g % 5],
       now() - make_interval(secs => g), now(), now() - make_interval(secs => g), now() + interval '30 days', NULL,
       jsonb_build_object('customer', jsonb_build_object('email', 'sub_' || g || '@example.com'), 'plan', 'pro', 'reason', 'too_expensive'),
       'billing/seed', 'seed-' || g
FROM generate_series(1, :n) g;
INSERT INTO journey_steps (journey_id, name, position, kind, spec, status, due_at, attempts, result, completed_at)
SELECT j.id, s.name, s.position, 'notify', jsonb_build_object('name', s.name, 'kind', 'notify', 'message', s.name),
       CASE WHEN j.status = 'failed' AND s.name = 'thanks' THEN 'failed' ELSE 'succeeded' END, NULL, 1, '{}', j.started_at
FROM journeys j CROSS JOIN (VALUES ('confirmation', 0), ('thanks', 1), ('access_ended', 2)) s(name, position);
INSERT INTO audit_log (at, actor, role, action, journey_id, step, reason)
SELECT j.started_at, 'token-' || (g % 20), 'operator', (ARRAY['pause', 'resume', 'cancel', 'reveal'])[1 + g % 4], j.id, NULL, 'seeded'
FROM (SELECT id, started_at, row_number() OVER () AS g FROM journeys LIMIT 100000) j;
INSERT INTO journey_timeline (journey_id, at, what, details)
SELECT j.id, j.started_at, w, '{}' FROM journeys j CROSS JOIN unnest(ARRAY['started', 'step_succeeded']) w;
"""


async def support_api(
    database: str,
    sink_port: int,
    maildir: Path,
    work: Path,
    journeys: int,
    requests: int,
    concurrency: int,
    console_concurrency: int = 2,
) -> dict:
    url = f"{PG}/{database}"
    system = System(f"ba{int(time.time())}", url, KAFKA, sink_port, maildir, work / "api")
    (work / "api").mkdir()
    schema = f"{system.name}_orchestrator"
    started = time.perf_counter()
    tables = ("journeys", "journey_steps", "journey_timeline", "audit_log")
    await seed_orchestrator(url, schema, SEED, journeys, tables)
    seed_seconds = time.perf_counter() - started
    engine = create_async_engine(url, connect_args={"server_settings": {"search_path": schema}})
    async with engine.connect() as conn:
        ids = [
            str(r[0]) for r in await conn.execute(sa.text("SELECT id FROM journeys TABLESAMPLE SYSTEM (1) LIMIT 2000"))
        ]
    await engine.dispose()
    await prepare_topics(system)
    for peer in ("notifier", "survey"):  # the console's journey and insights pages read their APIs
        await system.start(peer)
    replica = await system.start("orchestrator")
    kinds = {
        "search_by_customer": lambda: ("/v1/journeys", {"customer_id": f"cus_{random.randrange(200000)}"}),
        "search_by_email": lambda: ("/v1/journeys", {"email": f"sub_{random.randrange(1, journeys)}@example.com"}),
        "search_newest_active": lambda: ("/v1/journeys", {"status": "active", "limit": 50}),
        "detail": lambda: (f"/v1/journeys/{random.choice(ids)}", {}),
    }
    results = {"journeys": journeys, "seed_seconds": round(seed_seconds, 1), "concurrency": concurrency}
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{replica.port}",
            timeout=30,
            headers={"Authorization": "Bearer viewer-token"},
            limits=httpx.Limits(max_connections=concurrency),
        ) as client:
            for name, make in kinds.items():
                # One staff member alone (the service time) and `concurrency` at once (queueing on 2 cores).
                results[f"{name}_alone"] = await _load(client, make, requests // 4, 1)
                results[name] = await _load(client, make, requests, concurrency)
        results["console_concurrency"] = console_concurrency
        results["console"] = await console_pages(replica.port, ids, requests, console_concurrency)
    finally:
        await finish(system)
    return results


async def _load(client: httpx.AsyncClient, make, requests: int, concurrency: int) -> dict:
    timings: list[float] = []

    async def worker() -> None:
        for _ in range(requests // concurrency):
            path, params = make()
            begin = time.perf_counter()
            response = await client.get(path, params=params)
            timings.append(1000 * (time.perf_counter() - begin))
            assert response.status_code == 200, response.text

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return {
        "requests": len(timings),
        "p50_ms": round(percentile(timings, 50), 1),
        "p99_ms": round(percentile(timings, 99), 1),
    }


CONSOLE_PAGES = {
    "find": lambda ids: "/console/journeys",
    "find_active_b2c": lambda ids: "/console/journeys?status=active&segment=b2c",
    "find_customer": lambda ids: f"/console/journeys?customer_id=cus_{random.randrange(200000)}",
    "journey": lambda ids: f"/console/journeys/{random.choice(ids)}",
    "attention": lambda ids: "/console/attention",
    "insights": lambda ids: "/console/insights",
    "audit": lambda ids: "/console/audit",
}


async def console_pages(port: int, ids: list[str], requests: int, concurrency: int) -> dict:
    """Every console page, signed in as an operator, `concurrency` at once: p50, p95, p99 in ms."""
    results = {}
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", timeout=30, limits=httpx.Limits(max_connections=concurrency)
    ) as client:
        form = await client.get("/console/sign-in")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
        signed = await client.post("/console/sign-in", data={"token": "operator-token", "csrf": csrf})
        assert signed.status_code == 303, signed.text
        for name, make in CONSOLE_PAGES.items():
            timings: list[float] = []

            async def worker(make=make, timings=timings) -> None:
                for _ in range(max(requests // concurrency // 2, 5)):
                    begin = time.perf_counter()
                    response = await client.get(make(ids))
                    timings.append(1000 * (time.perf_counter() - begin))
                    assert response.status_code == 200, (response.status_code, response.text[:300])

            await asyncio.gather(*(worker() for _ in range(concurrency)))
            results[name] = {
                "requests": len(timings),
                "p50_ms": round(percentile(timings, 50), 1),
                "p95_ms": round(percentile(timings, 95), 1),
                "p99_ms": round(percentile(timings, 99), 1),
            }
    return results
