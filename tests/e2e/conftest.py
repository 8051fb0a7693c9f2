"""Fixtures for the process-level end-to-end and fault tests."""

import json
import threading
from collections.abc import AsyncIterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from shared.messaging.topics import drop_topics

from .system import ROOT, System


@pytest.fixture
async def system(database_url, kafka_bootstrap, unique_name, smtp_sink, tmp_path) -> AsyncIterator[System]:
    running = System(unique_name, database_url, kafka_bootstrap, smtp_sink.port, smtp_sink.maildir, tmp_path)
    yield running
    await running.stop()
    await drop_topics(kafka_bootstrap, list(running.topics().values()))


@pytest.fixture
async def full_system(system: System) -> System:
    for service in ("orchestrator", "notifier", "survey"):
        await system.start(service)
    return system


@pytest.fixture
async def service_logins(database_url) -> dict[str, str]:
    """Each service's database URL as its own login user (deploy/postgres-roles.sql, as the local stack has
    them; made here too for a server the tests did not start)."""
    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(database_url)
    async with engine.begin() as conn:
        await conn.execute(text((ROOT / "deploy" / "postgres-roles.sql").read_text()))
    await engine.dispose()
    url = make_url(database_url)
    return {
        s: url.set(username=s, password=f"dev-{s}-password").render_as_string(hide_password=False)
        for s in ("orchestrator", "notifier", "survey")
    }


class Crm(BaseHTTPRequestHandler):
    """The company's CRM: takes the webhook channel's posts (the account manager's queue)."""

    received: list[dict] = []

    def do_POST(self):
        Crm.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def crm():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Crm)
    Crm.received = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/crm"
    server.shutdown()
