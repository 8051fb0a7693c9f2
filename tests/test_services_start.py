"""Each service against the real database and broker: migrations apply and match its tables; ops routes answer."""

import asyncio
import importlib
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pydantic_settings import BaseSettings

from shared.runtime import migrate

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.integration

SERVICES = ["orchestrator", "notifier", "survey"]


def service_parts(name: str):
    bootstrap = importlib.import_module(f"{name}.bootstrap").bootstrap
    settings_class: type[BaseSettings] = importlib.import_module(f"{name}.config").Settings
    tables = importlib.import_module(f"{name}.adapters.tables")
    return bootstrap, settings_class, tables


@pytest.mark.parametrize("name", SERVICES)
async def test_migrations_create_exactly_the_tables_the_code_uses(name, database_url, kafka_bootstrap, unique_name):
    bootstrap, settings_class, tables = service_parts(name)
    settings = settings_class(
        DATABASE_URL=database_url, KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap, database_schema=unique_name
    )
    runtime = bootstrap(settings)
    service_dir = Path(importlib.import_module(name).__file__).parents[1]
    await migrate(runtime, service_dir)
    await migrate(runtime, service_dir)  # a second run is a no-op
    async with runtime.engine.connect() as conn:
        diff = await conn.run_sync(
            lambda c: compare_metadata(
                MigrationContext.configure(c, opts={"include_schemas": False}), _tables_of(tables.metadata, c)
            )
        )
        version = await conn.scalar(sa.text(f'SELECT version_num FROM "{unique_name}".alembic_version'))
    await runtime.engine.dispose()
    assert diff == [], f"{name}: migrations and table definitions differ: {diff}"
    assert version


def _tables_of(metadata: sa.MetaData, conn) -> sa.MetaData:
    """Only the tables this schema holds: in one test process all services share one MetaData object."""
    present = set(sa.inspect(conn).get_table_names())
    only = sa.MetaData(naming_convention=metadata.naming_convention)
    for table in metadata.tables.values():
        if table.name in present:
            table.to_metadata(only)
    return only


@pytest.mark.parametrize("name", SERVICES)
async def test_ops_routes_answer(name, database_url, kafka_bootstrap, unique_name):
    bootstrap, settings_class, _ = service_parts(name)
    runtime = bootstrap(
        settings_class(DATABASE_URL=database_url, KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap, database_schema=unique_name)
    )
    await runtime.producer.start()
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=runtime.http_app), base_url="http://test"
        ) as client:
            version = re.search(r'^version = "(.+)"', (ROOT / "pyproject.toml").read_text(), re.M)[1]
            assert (await client.get("/healthz")).json() == {"status": "ok", "version": version}
            ready = await client.get("/readyz")
            assert ready.status_code == 200, ready.text
            checks = ready.json()["checks"]
            assert checks.pop("database") == "ok" and checks.pop("kafka") == "ok"
            assert checks and all(name.startswith("consumer ") and v == "ok" for name, v in checks.items()), checks
            metrics = await client.get("/metrics")
            assert metrics.status_code == 200 and "python_info" in metrics.text
            missing = await client.get("/nope")
            assert missing.status_code == 404
            assert missing.json() == {"error": {"code": "not_found", "message": "Not Found"}}
            assert missing.headers["x-request-id"]
            assert (await client.get("/openapi.json")).status_code == 200
    finally:
        await runtime.producer.stop()
        await runtime.engine.dispose()


async def test_readiness_reports_an_unreachable_database(kafka_bootstrap):
    bootstrap, settings_class, _ = service_parts("orchestrator")
    runtime = bootstrap(
        settings_class(DATABASE_URL="postgresql://postgres@127.0.0.1:1/none", KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap)
    )
    await runtime.producer.start()
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=runtime.http_app), base_url="http://test"
        ) as client:
            ready = await client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"].startswith("unreachable")
        assert ready.json()["checks"]["kafka"] == "ok"
    finally:
        await runtime.producer.stop()
        await runtime.engine.dispose()


@pytest.mark.parametrize("name", SERVICES)
async def test_the_service_process_serves_and_stops_cleanly_on_sigterm(
    name, database_url, kafka_bootstrap, unique_name, tmp_path
):
    """`python -m <service>` as `make run` starts it: ready on its port, then a graceful stop on SIGTERM."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    prefix = name.upper()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        f"{prefix}_DATABASE_SCHEMA": unique_name,
        f"{prefix}_HTTP_PORT": str(port),
        f"{prefix}_HTTP_HOST": "127.0.0.1",
    }
    log = tmp_path / "service.log"
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", name, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            for _ in range(300):
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert process.returncode is None, log.read_text()[-3000:]
                await asyncio.sleep(0.1)
            else:
                raise AssertionError(f"{name} never became ready: {log.read_text()[-3000:]}")
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 30)
    finally:
        if process.returncode is None:
            process.kill()
    text = log.read_text()
    assert code == 0, text[-3000:]
    assert '"event": "service_stopped"' in text
