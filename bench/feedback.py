"""Delivery feedback: bounce reports (a Postfix-format DSN, each for another email of ours) mailed over SMTP to the
notifier's listener, its own process, by 4 connections at once, as mail servers deliver them. Each is parsed
(flufl.bounce), recorded once, suppresses its address and tells the orchestrator (an outbox row, published by
the relay). Measured: reports per second, the notifier's CPU ms and SQL statements per report. The emails are
seeded in SQL (with their journeys' keys), not sent first."""

import asyncio
import time
from pathlib import Path

import aiosmtplib
from common import KAFKA, PG, ROOT, finish, prepare_topics, sql
from cost import cpu_seconds, reset_statements, statements_and_transactions
from e2e.system import System, free_port

from notifier.domain.return_path import return_path
from shared.db.migrations import upgrade_head

DSN = ROOT / "services" / "notifier" / "tests" / "integration" / "reports" / "postfix_dsn.eml"
KEY, DOMAIN = "dev-return-path-key", "bounces.acme.example"  # the notifier's development defaults
CONNECTIONS = 4
SEED_DELIVERIES = """
INSERT INTO "{s}_notifier".deliveries (command_id, journey_id, subscription_id, customer_id, step, attempt, message,
    channel, category, segment, marketing_consent, recipient_hash, facts, status, provider_message_id, sent_at)
SELECT 'cmd-' || g, md5('j' || g)::uuid::text, 'sub_' || g, 'cus_' || g, 'confirmation', 1,
    'cancellation_confirmation', 'email', 'transactional', 'b2c', false, md5('a' || g) || md5('b' || g), '{{}}',
    'sent', '<cmd-' || g || '@offboarding.acme.example>', now() - interval '1 hour'
FROM generate_series(1, {n}) g
"""
SEED_KEYS = """
INSERT INTO "{s}_orchestrator".journey_keys (journey_id, key, mac_key)
SELECT md5('j' || g)::uuid, decode(md5('k' || g) || md5('l' || g), 'hex'), decode(md5('m' || g) || md5('n' || g), 'hex')
FROM generate_series(1, {n}) g
"""


async def feedback(database: str, sink_port: int, maildir: Path, work: Path, reports: int) -> dict:
    url = f"{PG}/{database}"
    (work / "feedback").mkdir()
    system = System(f"bf{int(time.time())}", url, KAFKA, sink_port, maildir, work / "feedback")
    for service in ("orchestrator", "notifier"):
        schema = f"{system.name}_{service}"
        await asyncio.to_thread(upgrade_head, ROOT / "services" / service, database_url=url, schema=schema)
    await sql(url, SEED_KEYS.format(s=system.name, n=reports))
    await sql(url, SEED_DELIVERIES.format(s=system.name, n=reports))
    ids = [r[0] for r in await sql(url, f'SELECT id FROM "{system.name}_notifier".deliveries ORDER BY id')]
    template = DSN.read_text()
    mails = [
        (
            address := return_path(i, key=KEY.encode(), domain=DOMAIN),
            template.format(
                return_path=address, recipient=f"customer{i}@example.org", message_id=f"<cmd-{i}@x>"
            ).encode(),
        )
        for i in ids
    ]
    await prepare_topics(system)
    port = free_port()
    system.service_env["notifier"] = {"NOTIFIER_FEEDBACK_SMTP_PORT": str(port)}
    try:
        replica = await system.start("notifier")
        counting = await reset_statements(sql, f"{PG}/postgres")
        statements, _ = await statements_and_transactions(sql, f"{PG}/postgres", database)
        cpu = cpu_seconds(replica.process.pid)
        started = time.perf_counter()
        await asyncio.gather(*(_deliver(port, mails[n::CONNECTIONS]) for n in range(CONNECTIONS)))
        seconds = time.perf_counter() - started
        cpu = cpu_seconds(replica.process.pid) - cpu
        after, _ = await statements_and_transactions(sql, f"{PG}/postgres", database)
        recorded = (await sql(url, f'SELECT count(*) FROM "{system.name}_notifier".delivery_feedback'))[0][0]
    finally:
        await finish(system)
    if recorded != reports:
        raise RuntimeError(f"feedback: {recorded} of {reports} reports recorded")
    return {
        "reports": reports,
        "connections": CONNECTIONS,
        "seconds": round(seconds, 2),
        "per_s": round(reports / seconds, 1),
        "notifier_cpu_ms_per_report": round(cpu * 1000 / reports, 2),
        "sql_statements_per_report": round((after - statements) / reports, 1) if counting and after else None,
    }


async def _deliver(port: int, mails: list[tuple[str, bytes]]) -> None:
    """As a mail server delivers bounces: one connection, MAIL FROM:<> and one report after the other."""
    async with aiosmtplib.SMTP(hostname="127.0.0.1", port=port, timeout=60) as client:
        for to, message in mails:
            await client.sendmail("", [to], message)
