"""The machine's own limits, which the system's figures are read against: raw Kafka produce and consume rates
(aiokafka, one broker) and pgbench running the orchestrator's per-event writes as one transaction per event."""

import asyncio
import os
import re
import subprocess
import tempfile
import time

# bench/common.py, beside this file, puts the project on the import path: it comes before the project's imports.
from aiokafka import AIOKafkaConsumer
from common import KAFKA, PG, ROOT

from shared.db.migrations import upgrade_head
from shared.messaging.producer import create_producer
from shared.messaging.topics import ensure_topics


async def kafka_raw(messages: int) -> dict:
    topic = f"bench.raw.{int(time.time())}"
    await ensure_topics(KAFKA, {topic: 6}, with_dlq=False)
    producer = create_producer(KAFKA, client_id="bench")
    await producer.start()
    value = b"x" * 1024
    started = time.perf_counter()
    pending = []
    for n in range(messages):
        pending.append(await producer.send(topic, value, key=str(n % 1000).encode()))
        if len(pending) >= 2000:
            await asyncio.gather(*pending)
            pending.clear()
    await asyncio.gather(*pending)
    produce_seconds = time.perf_counter() - started
    await producer.stop()
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=KAFKA, group_id=None, auto_offset_reset="earliest")
    await consumer.start()
    got, started = 0, time.perf_counter()
    while got < messages:
        batches = await consumer.getmany(timeout_ms=500, max_records=5000)
        got += sum(len(b) for b in batches.values())
    consume_seconds = time.perf_counter() - started
    await consumer.stop()
    return {
        "messages": messages,
        "size_bytes": 1024,
        "produce_per_s": round(messages / produce_seconds),
        "consume_per_s": round(messages / consume_seconds),
    }


PGBENCH_SCRIPT = """
\\set n random(1, 2000000000)
BEGIN;
INSERT INTO inbox (consumer, source, message_id) VALUES ('bench', 'billing', :n || '-' || :client_id || '-' || random()) ON CONFLICT DO NOTHING;
SELECT pg_advisory_xact_lock(hashtext('sub:' || :n));
SELECT id FROM journeys WHERE subscription_id = 'sub_' || :n AND status IN ('active', 'paused') FOR UPDATE;
SELECT max(reactivated_at) FROM reactivations WHERE subscription_id = 'sub_' || :n AND reactivated_at > now();
WITH j AS (
  INSERT INTO journeys (id, subscription_id, customer_id, email_hash, template, template_version, segment, initiated_by, status,
                        started_at, updated_at, cancelled_at, effective_at, next_due_at, facts, event_source, event_id)
  VALUES (gen_random_uuid(), 'sub_' || :n, 'cus_' || :n, md5(:n::text), 'b2c-voluntary', 1, 'b2c', 'customer', 'active',
          now(), now(), now(), now() + interval '30 days', now() + interval '1 hour',
          '{"customer": {"email": "a@example.com"}, "plan": "pro"}', 'billing', :n::text)
  RETURNING id
), s AS (
  INSERT INTO journey_steps (journey_id, name, position, kind, spec, status, due_at, attempts, result)
  SELECT j.id, 'step_' || p, p, 'notify', '{"name": "x", "kind": "notify", "message": "x"}', 'scheduled', now(), 0, '{}'
  FROM j, generate_series(0, 11) p
), t AS (
  INSERT INTO journey_timeline (journey_id, at, what, details)
  SELECT j.id, now(), w, '{}' FROM j, unnest(ARRAY['started', 'step_skipped', 'step_dispatched']) w
)
INSERT INTO outbox (topic, key, value) SELECT 'bench', 'sub_' || :n, convert_to(repeat('x', 600), 'UTF8') FROM j, generate_series(1, 2);
COMMIT;
"""


async def pgbench(database: str, seconds: int) -> dict:
    schema = "bench_pgbench"
    await asyncio.to_thread(
        upgrade_head, ROOT / "services" / "orchestrator", database_url=f"{PG}/{database}", schema=schema
    )
    bin_dir = subprocess.run(
        [str(ROOT / "deploy" / "postgres.sh"), "bin"], capture_output=True, text=True, check=True
    ).stdout.strip()
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as script:
        script.write(PGBENCH_SCRIPT)
    env = {**os.environ, "PGOPTIONS": f"-c search_path={schema},public"}
    out = subprocess.run(
        [
            f"{bin_dir}/pgbench",
            "-n",
            "-c",
            "8",
            "-j",
            "2",
            "-T",
            str(seconds),
            "-f",
            script.name,
            "-h",
            "127.0.0.1",
            "-p",
            "5432",
            "-U",
            "postgres",
            database,
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stdout
    tps = float(re.search(r"tps = ([\d.]+)", out).group(1))
    latency = float(re.search(r"latency average = ([\d.]+) ms", out).group(1))
    return {"clients": 8, "seconds": seconds, "tps": round(tps), "latency_avg_ms": latency}
