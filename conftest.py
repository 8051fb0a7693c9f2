"""Test infrastructure for every test folder: a real Kafka broker and a real PostgreSQL server.

Found in this order: KAFKA_BOOTSTRAP_SERVERS / DATABASE_URL from the environment; testcontainers when a
Docker engine answers; otherwise the project's local stack (deploy/infra.sh up). Each test session gets
its own database, each test its own schema and topics, so runs never see each other's data.
"""

import os
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

ROOT = Path(__file__).parent


@dataclass(frozen=True)
class Infrastructure:
    kafka_bootstrap_servers: str
    database_url: str  # a server-level URL (asyncpg driver); tests create their own databases
    how: str


def _docker_engine_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:
        return False


def _with_asyncpg(url: str) -> str:
    return str(make_url(url).set(drivername="postgresql+asyncpg"))


@pytest.fixture(autouse=True)
def _logging_left_as_found() -> Iterator[None]:
    """A command-line tool under test reconfigures structlog for its process; the next test gets it back."""
    import structlog

    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


@pytest.fixture(scope="session")
def infrastructure() -> Iterator[Infrastructure]:
    kafka, database = os.environ.get("KAFKA_BOOTSTRAP_SERVERS"), os.environ.get("DATABASE_URL")
    if kafka and database:
        yield Infrastructure(kafka, _with_asyncpg(database), "environment")
        return
    if _docker_engine_answers():
        from testcontainers.kafka import KafkaContainer
        from testcontainers.postgres import PostgresContainer

        with KafkaContainer("apache/kafka:4.1.1").with_kraft() as k, PostgresContainer("postgres:18") as p:
            yield Infrastructure(k.get_bootstrap_server(), _with_asyncpg(p.get_connection_url()), "testcontainers")
        return
    subprocess.run([ROOT / "deploy" / "infra.sh", "up"], check=True)
    yield Infrastructure(
        f"127.0.0.1:{os.environ.get('LOCAL_KAFKA_PORT', '9092')}",
        f"postgresql+asyncpg://postgres@127.0.0.1:{os.environ.get('LOCAL_PG_PORT', '5432')}/postgres",
        "local stack",
    )


@pytest.fixture(scope="session")
def kafka_bootstrap(infrastructure: Infrastructure) -> str:
    return infrastructure.kafka_bootstrap_servers


@pytest.fixture(scope="session")
async def database_url(infrastructure: Infrastructure) -> AsyncIterator[str]:
    """A database of this test session's own, dropped at the end."""
    server = make_url(infrastructure.database_url)
    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield str(server.set(database=name).render_as_string(hide_password=False))
    await admin.dispose()  # fault tests restart the server: start from fresh connections
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


@pytest.fixture
def unique_name(request: pytest.FixtureRequest) -> str:
    """A short name unique to this test: for schemas, topics and consumer groups."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def make_topics(kafka_bootstrap: str) -> Callable[..., Awaitable[list[str]]]:
    from shared.messaging.topics import ensure_topics

    async def make(*names: str, partitions: int = 1) -> list[str]:
        await ensure_topics(kafka_bootstrap, {n: partitions for n in names})
        return list(names)

    return make


@pytest.fixture
async def schema_engine(database_url: str, unique_name: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a fresh schema of the session database (empty: tests create what they need)."""
    from shared.db.engine import create_engine

    engine = create_engine(database_url, schema=unique_name, pool_size=4)
    async with engine.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{unique_name}"'))
    yield engine
    async with engine.begin() as conn:
        await conn.execute(text(f'DROP SCHEMA "{unique_name}" CASCADE'))
    await engine.dispose()


@pytest.fixture
async def keyring_schema(database_url: str, unique_name: str) -> AsyncIterator[str]:
    """The journey keys of an orchestrator played by a test (the notifier's and the survey service's tests): its
    `journey_keys` table in a schema of the test's own (shared.played_orchestrator)."""
    from shared.played_orchestrator import create_keyring, drop_keyring

    schema = f"{unique_name}_keys"
    await create_keyring(database_url, schema)
    yield schema
    await drop_keyring(database_url, schema)


@dataclass(frozen=True)
class SmtpSink:
    host: str
    port: int
    maildir: Path


@pytest.fixture(scope="session")
def smtp_sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpSink]:
    """The project's SMTP sink (deploy/smtp_sink.py), on a free port with a Maildir of this session's own."""
    import socket
    import sys
    import time

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    maildir = tmp_path_factory.mktemp("mail")
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "deploy" / "smtp_sink.py"), "--port", str(port), "--maildir", str(maildir)]
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("the SMTP sink did not start") from None
            time.sleep(0.05)
    yield SmtpSink("127.0.0.1", port, maildir)
    process.terminate()
    process.wait(timeout=10)
