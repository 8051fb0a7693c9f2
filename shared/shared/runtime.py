"""A service's running parts and their lifecycle: database, producer, outbox relay, consumers, HTTP server.

Each service's bootstrap builds a Runtime from its Settings; `serve` migrates, creates topics, starts
everything in one event loop and, on SIGTERM or Ctrl-C, lets consumers finish their batch and commit
before stopping.
"""

import asyncio
import gc
import importlib
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
import uvicorn
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared import tracing
from shared.db.engine import create_engine, create_session_factory
from shared.db.migrations import upgrade_head
from shared.errors import describe
from shared.inbox.table import Fingerprint
from shared.logging import configure_logging, get_logger
from shared.messaging.consumer import Authenticator, BatchConsumer, BatchHandler, Handler
from shared.messaging.producer import RenewableProducer
from shared.messaging.topics import ensure_topics, wait_for_coordinators
from shared.outbox.relay import OutboxRelay
from shared.settings import ConfigurationError, ServiceSettings
from shared.worker import Worker

log = get_logger(__name__)


@dataclass
class Runtime:
    """A service's parts. A stateless service (the billing bridge) has no database: engine, sessions and relay
    are None, and start-up neither migrates nor relays."""

    name: str
    settings: ServiceSettings
    engine: AsyncEngine | None
    sessions: async_sessionmaker[AsyncSession] | None
    producer: RenewableProducer
    relay: OutboxRelay | None
    consumers: list[BatchConsumer] = field(default_factory=list)
    workers: list[Worker] = field(default_factory=list)  # besides the relay
    topics: dict[str, int] = field(default_factory=dict)  # topics this service creates at start-up
    # Of them, the internal topics (commands, results): created with the internal retention (retention.ms).
    internal_topics: set[str] = field(default_factory=set)
    # Tables of this service that other services' database roles may read (the orchestrator's journey_keys).
    readers: dict[str, tuple[str, ...]] = field(default_factory=dict)
    http_app: FastAPI | None = None
    kafka_options: dict = field(default_factory=dict)  # security options of every Kafka client
    # Keys a data migration needs (the notifier's address key, to re-key its address hashes), by name.
    migration_secrets: dict[str, bytes] = field(default_factory=dict)

    def consumer(
        self,
        *,
        group_id: str,
        topics: list[str],
        handler: Handler | None = None,
        batch_handler: BatchHandler | None = None,
        max_records: int = 500,
        authenticate: Authenticator | None = None,
        fingerprint: Fingerprint | None = None,
    ) -> BatchConsumer:
        """A batch consumer on this service's database, producer and Kafka settings."""
        s = self.settings
        return BatchConsumer(
            bootstrap_servers=s.kafka_bootstrap_servers,
            group_id=group_id,
            topics=topics,
            session_factory=self.sessions,
            handler=handler,
            batch_handler=batch_handler,
            producer=self.producer,
            max_records=max_records,
            max_attempts=s.consumer_max_attempts,
            retry_delay=s.consumer_retry_delay_seconds,
            stall_seconds=s.consumer_stall_seconds,
            kafka_options=self.kafka_options,
            authenticate=authenticate,
            **({"fingerprint": fingerprint} if fingerprint else {}),
        )

    async def readiness(self) -> dict[str, str]:
        """'ok' or the reason, per dependency: what /readyz reports."""
        checks = {}
        if self.engine is not None:
            try:
                async with self.engine.connect() as conn:
                    await asyncio.wait_for(conn.execute(sa.text("SELECT 1")), timeout=2)
                checks["database"] = "ok"
            except Exception as exc:
                checks["database"] = f"unreachable: {type(exc).__name__}"
        try:
            await asyncio.wait_for(self.producer.ping(), timeout=2)
            checks["kafka"] = "ok"
        except Exception as exc:
            checks["kafka"] = f"unreachable: {type(exc).__name__}"
        for consumer in self.consumers:
            checks[f"consumer {consumer.group_id}"] = consumer.health()
        return checks


def build_runtime(name: str, settings: ServiceSettings, *, database: bool = True) -> Runtime:
    """A service's runtime; `database=False` for a stateless one (no engine, no outbox relay)."""
    tracing.configure(name)  # before any Kafka client exists: the instrumentation wraps their class
    kafka_options = settings.kafka_options()
    producer = RenewableProducer(settings.kafka_bootstrap_servers, client_id=name, options=kafka_options)
    if not database:
        return Runtime(name, settings, None, None, producer, None, kafka_options=kafka_options)
    engine = create_engine(
        settings.database_url, schema=settings.database_schema, pool_size=settings.database_pool_size
    )
    relay = OutboxRelay(
        engine,
        producer,
        schema=settings.database_schema,
        batch_size=settings.outbox_batch_size,
        idle_seconds=settings.outbox_idle_seconds,
    )
    return Runtime(name, settings, engine, create_session_factory(engine), producer, relay, kafka_options=kafka_options)


async def migrate(runtime: Runtime, service_dir: Path, *, unless_current: bool = False) -> None:
    settings = runtime.settings
    await asyncio.to_thread(
        upgrade_head,
        service_dir,
        database_url=settings.database_url,
        schema=settings.database_schema,
        role=settings.database_role,
        readers=runtime.readers,
        secrets=runtime.migration_secrets,
        unless_current=unless_current,
    )


async def start(runtime: Runtime, service_dir: Path) -> list[asyncio.Task]:
    """Migrate, create topics, start the producer and consumers, launch the loops; returns their tasks."""
    settings = runtime.settings
    tracing.instrument(engine=runtime.engine, app=runtime.http_app)
    if runtime.engine is not None:
        await _retry("database", lambda: migrate(runtime, service_dir, unless_current=True))
    if runtime.topics:
        retention_ms = int(settings.internal_topic_retention.total_seconds() * 1000)
        await _retry(
            "kafka",
            lambda: ensure_topics(
                settings.kafka_bootstrap_servers,
                runtime.topics,
                options=runtime.kafka_options,
                configs={t: {"retention.ms": str(retention_ms)} for t in runtime.internal_topics},
            ),
        )
    await _retry("kafka", runtime.producer.start)
    groups = [consumer.group_id for consumer in runtime.consumers]
    await _retry(
        "kafka",
        lambda: wait_for_coordinators(settings.kafka_bootstrap_servers, groups, options=runtime.kafka_options),
    )
    for consumer in runtime.consumers:
        await _retry("kafka", consumer.start)
    loops = [*(c.run for c in runtime.consumers), *(w.run for w in _workers(runtime))]
    return [asyncio.create_task(run(), name=getattr(run, "__self__", run).__class__.__name__) for run in loops]


async def stop(runtime: Runtime, tasks: list[asyncio.Task]) -> None:
    """Consumers finish and commit their batch, loops stop, then clients close."""
    for consumer in runtime.consumers:
        await consumer.stop()
    for worker in _workers(runtime):
        worker.stop()
    await asyncio.gather(*tasks, return_exceptions=True)
    for consumer in runtime.consumers:
        await consumer.close()
    await runtime.producer.stop()
    if runtime.engine is not None:
        await runtime.engine.dispose()
    tracing.flush()


def _workers(runtime: Runtime) -> list[Worker]:
    return [w for w in (runtime.relay, *runtime.workers) if w is not None]


def http_config(app: FastAPI, settings: ServiceSettings) -> uvicorn.Config:
    """How a service's HTTP server runs. The client's address (what the sign-in throttle counts) is the TCP peer;
    X-Forwarded-For and -Proto count only from the proxies in `<PREFIX>FORWARDED_ALLOW_IPS` (none by default:
    left to itself uvicorn trusts them from 127.0.0.1, so anything on the host could pose as any address)."""
    trusted = settings.forwarded_allow_ips.strip()
    return uvicorn.Config(
        app,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
        lifespan="on",
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
        server_header=False,
    )


async def serve(runtime: Runtime, service_dir: Path) -> None:
    """Run the service until SIGTERM/SIGINT: migrations, topics, producer, relay, consumers, workers, HTTP."""
    settings = runtime.settings
    configure_logging(runtime.name, settings.log_level, settings.log_format)
    assert runtime.http_app is not None, "the service's bootstrap builds its HTTP app"
    tasks = await start(runtime, service_dir)
    # What start-up made (modules, the app, templates, compiled statements) lives as long as the process: moved out
    # of the garbage collector's sight, a full collection no longer walks it. Measured on the survey service under
    # the page benchmark: full collections of 94-104 ms, each stalling every request in flight, became 8-12 ms.
    gc.collect()
    gc.freeze()
    server = QuietServer(http_config(runtime.http_app, settings))
    server.install_signal_handlers = lambda: None  # we own the signals, to stop the loops in order
    http = asyncio.create_task(server.serve(), name="http")
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    log.info("service_started", port=settings.http_port, consumers=len(runtime.consumers))
    done, _ = await asyncio.wait(
        [asyncio.create_task(stopping.wait()), http, *tasks], return_when=asyncio.FIRST_COMPLETED
    )
    for task in done:
        if task.get_name() != "http" and not task.cancelled() and task.exception() is not None:
            log.error("service_part_crashed", part=task.get_name(), error=describe(task.exception()))
    log.info("service_stopping")
    server.should_exit = True
    await stop(runtime, tasks)
    await asyncio.gather(http, return_exceptions=True)
    log.info("service_stopped")


class QuietServer(uvicorn.Server):
    """uvicorn's server, waking once a second instead of ten times: its loop only refreshes the Date header (once a
    second anyway) and looks whether to stop, which may then take up to a second. Ten wake-ups a second were a
    good part of an idle service's CPU."""

    async def main_loop(self) -> None:
        ticks = 0
        while not await self.on_tick(ticks):
            await asyncio.sleep(1.0)
            ticks = (ticks + 10) % 864000  # on_tick counts tenths of a second


async def _retry(what: str, action: Callable, attempts: int = 60) -> None:
    """Start-up waits for a dependency that is still coming up (compose, restarts), then gives up clearly."""
    for attempt in range(1, attempts + 1):
        try:
            return await action()
        except Exception as exc:
            if attempt == attempts:
                raise RuntimeError(f"{what} still unreachable after {attempts} attempts: {exc}") from exc
            log.warning("waiting_for_dependency", dependency=what, attempt=attempt, error=type(exc).__name__)
            await asyncio.sleep(1)


def main(
    runtime_factory: Callable[[], Runtime],
    service_dir: Path,
    argv: list[str],
    tools: dict[str, str] | None = None,
) -> None:
    """A service's command line: `serve` (the default), `migrate` (apply migrations and exit), or one of its
    `tools` (command -> the module whose `main(argv)` runs it; imported only when asked for)."""
    if argv[:1] and argv[0] in (tools or {}):
        importlib.import_module(tools[argv[0]]).main(argv[1:])
        return
    command = argv[0] if argv else "serve"
    if command not in ("serve", "migrate"):
        raise SystemExit(f"usage: python -m <service> [{'|'.join(['serve', 'migrate', *(tools or {})])}]")

    async def run() -> None:
        # Kafka clients must be created inside the running event loop, so the runtime is built here.
        try:
            runtime = runtime_factory()
        except (ConfigurationError, ValidationError) as exc:
            print(f"error: the service cannot start: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        if command == "serve":
            await serve(runtime, service_dir)
            return
        configure_logging(runtime.name, runtime.settings.log_level, runtime.settings.log_format)
        if runtime.engine is None:
            return  # a stateless service: nothing to migrate
        try:
            await migrate(runtime, service_dir)
        finally:
            await runtime.engine.dispose()

    asyncio.run(run())
