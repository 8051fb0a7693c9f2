"""What the benchmark's measures share: where the local stack is, SQL in one call, publishing
cancellations, waiting for a condition, starting a system's services."""

import asyncio
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# The end-to-end tests' System, imported as `e2e.system`: `tests` is taken (paddle-python-sdk installs a top-level
# `tests` package, and a regular package wins over our directory, which has no __init__.py).
sys.path.insert(0, str(ROOT / "tests"))

import sqlalchemy as sa  # noqa: E402
from e2e.system import System  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from orchestrator.tools.sample_events import cancellation  # noqa: E402
from shared.messaging.producer import create_producer  # noqa: E402
from shared.messaging.topics import drop_topics, ensure_topics  # noqa: E402

PG = "postgresql+asyncpg://postgres@127.0.0.1:5432"
# The fault tests' short step timeout (20 s) would resend every step of a backlog that waits longer than that,
# their timer's longest sleep (0.2 s) costs five queries a second, and their 5 s send lease has the sender sweep
# every second: the benchmark runs the production defaults.
PRODUCTION = {
    "ORCHESTRATOR_STEP_TIMEOUT": "PT15M",
    "ORCHESTRATOR_TIMER_INTERVAL_SECONDS": "30",
    "NOTIFIER_SEND_LEASE_SECONDS": "300",
}
KAFKA = "127.0.0.1:9092"


def save_result(report: dict, *, prefix: str = "", suffix: str = "") -> Path:
    """Write `report` to bench/results/<prefix><its date>[-<suffix>].json (kept with the code: the documents quote
    them); returns its path in the project."""
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{prefix}{report['date'].replace(':', '')}{'-' + suffix if suffix else ''}.json"
    path.write_text(json.dumps(report, indent=2, default=str))
    return path.relative_to(ROOT)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def sql(url: str, statement: str, *params) -> list:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            result = await conn.execute(sa.text(statement), *params)
            return result.all() if result.returns_rows else []
    finally:
        await engine.dispose()


async def publish(system: System, count: int, *, rate: float | None = None, prefix: str = "sub") -> None:
    """b2c voluntary cancellations (the journey with confirmation and survey); at `rate` per second or all at once.
    Subscription ids are <prefix>_<system>_<n>."""
    producer = create_producer(KAFKA, client_id="bench-billing")
    await producer.start()
    topic = system.topics()["cancelled"]
    started = time.perf_counter()
    pending = []
    for n in range(count):
        sub = f"{prefix}_{system.name}_{n}"
        event = cancellation(sub, email=f"{sub}@{system.name}.example")
        pending.append(await producer.send(topic, event.to_json_bytes(), key=sub.encode()))
        if rate:
            await asyncio.sleep(max(0.0, started + (n + 1) / rate - time.perf_counter()))
            if len(pending) >= 100:
                await asyncio.gather(*pending)
                pending.clear()
    await asyncio.gather(*pending)
    await producer.stop()


async def prepare_topics(system: System) -> None:
    await ensure_topics(KAFKA, {topic: 3 for topic in system.topics().values()})


async def wait_for(description: str, check, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"benchmark: {description} not reached within {timeout} s")
        await asyncio.sleep(0.5)


async def count(url: str, schema: str, table: str) -> int:
    return (await sql(url, f'SELECT count(*) FROM "{schema}".{table}'))[0][0]


async def has(url: str, schema: str, table: str, n: int) -> bool:
    try:
        return await count(url, schema, table) >= n
    except Exception:
        return False


async def finish(system: System) -> None:
    """Stop the services and delete the run's topics (a development broker should not pile them up)."""
    await system.stop()
    await drop_topics(KAFKA, list(system.topics().values()))


async def start_all(system: System) -> None:
    """Start the three services; if one does not come up, stop the others (no orphans eating the CPU of the
    next run)."""
    try:
        for service in ("notifier", "survey", "orchestrator"):  # consumers of commands first
            await system.start(service)
    except BaseException:
        await finish(system)
        raise


async def seed_orchestrator(url: str, schema: str, seed: str, rows: int, tables: tuple[str, ...]) -> None:
    """The orchestrator's schema migrated and filled by `seed` (SQL statements with `:n` for `rows`), vacuumed.

    A production table is vacuumed in steady state: without this, autovacuum works through the fresh rows
    during the measurement (seen in pg_stat_activity) and index-only scans are impossible."""
    from shared.db.migrations import upgrade_head

    await asyncio.to_thread(upgrade_head, ROOT / "services" / "orchestrator", database_url=url, schema=schema)
    engine = create_async_engine(url, connect_args={"server_settings": {"search_path": schema}})
    try:
        async with engine.begin() as conn:
            for statement in filter(str.strip, seed.replace(":n", str(rows)).split(";")):
                await conn.execute(sa.text(statement))
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            for table in tables:
                await conn.execute(sa.text(f"VACUUM (ANALYZE) {table}"))
    finally:
        await engine.dispose()
