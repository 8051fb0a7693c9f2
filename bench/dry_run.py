"""The dry-run at 100,000 past cancellations: seeded in SQL with varied facts, survey answers and outcomes, then
replayed through a candidate template by the running orchestrator (POST /v1/dry-runs, the notifier rendering
each message once per locale and segment). Target: under a minute."""

import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from common import KAFKA, PG, ROOT, finish, prepare_topics, seed_orchestrator
from cost import CpuMeter, cpu_seconds, postgres_cpu
from e2e.system import System

SEED = """
INSERT INTO journeys (id, subscription_id, customer_id, email_hash, template, template_version, segment, initiated_by,
                      status, started_at, updated_at, cancelled_at, effective_at, ended_at, next_due_at, facts, survey,
                      event_source, event_id)
SELECT gen_random_uuid(), 'sub_' || g, 'cus_' || g, NULL,
       CASE WHEN g % 7 = 0 THEN 'involuntary' WHEN g % 2 = 0 THEN 'b2b-voluntary' ELSE 'b2c-voluntary' END, 1,
       CASE WHEN g % 2 = 0 THEN 'b2b' ELSE 'b2c' END,
       CASE WHEN g % 7 = 0 THEN 'payment_failure' WHEN g % 5 = 0 THEN 'merchant' ELSE 'customer' END,
       (ARRAY['active', 'completed', 'cancelled', 'completed'])[1 + g % 4],
       now() - make_interval(mins => g % 43200), now(), now() - make_interval(mins => g % 43200),
       now() - make_interval(mins => g % 43200) + make_interval(days => (g % 60) - 20),
       CASE WHEN g % 4 = 2 THEN now() - make_interval(mins => g % 43200) + make_interval(hours => g % 72) END, NULL,
       jsonb_build_object(
           'segment', CASE WHEN g % 2 = 0 THEN 'b2b' ELSE 'b2c' END,
           'initiated_by', CASE WHEN g % 7 = 0 THEN 'payment_failure' WHEN g % 5 = 0 THEN 'merchant' ELSE 'customer' END,
           'plan', (ARRAY['free', 'pro', 'team'])[1 + g % 3], 'reason', 'too_expensive', 'marketing_consent', g % 3 = 0,
           'customer', jsonb_build_object('email', 'sub_' || g || '@example.com', 'name', 'Customer ' || g,
                                          'locale', (ARRAY['en', 'de', 'de-AT', 'fr'])[1 + g % 4], 'timezone', 'Europe/Berlin')),
       CASE WHEN g % 4 = 0 THEN jsonb_build_object('score', g % 11, 'reason', 'too_expensive', 'may_contact', false) END,
       'billing/seed', 'seed-' || g
FROM generate_series(1, :n) g;
INSERT INTO journey_steps (journey_id, name, position, kind, spec, status, due_at, attempts, result, completed_at)
SELECT j.id, s.name, s.position, 'notify', '{}'::jsonb,
       CASE WHEN j.status = 'active' AND s.position > 1 THEN 'scheduled' ELSE 'succeeded' END, NULL, 1, '{}', j.started_at
FROM journeys j CROSS JOIN (VALUES ('confirmation', 0), ('thanks', 1), ('data_export_help', 2), ('access_ended', 3)) s(name, position)
"""


def candidate() -> dict[str, str]:
    """b2c-voluntary version 2: the shipped one without its thank-you step."""
    text = (ROOT / "services" / "orchestrator" / "templates" / "b2c-voluntary.v1.yaml").read_text()
    start = text.index("  - name: thanks")
    end = text.index("  - name:", start + 1)
    return {"b2c-voluntary.v2.yaml": (text[:start] + text[end:]).replace("version: 1", "version: 2")}


async def dry_run(database: str, sink_port: int, maildir: Path, work: Path, journeys: int, runs: int = 3) -> dict:
    url = f"{PG}/{database}"
    system = System(f"bd{int(time.time())}", url, KAFKA, sink_port, maildir, work / "dry")
    (work / "dry").mkdir()
    await seed_orchestrator(url, f"{system.name}_orchestrator", SEED, journeys, ("journeys", "journey_steps"))
    await prepare_topics(system)
    await system.start("notifier")
    replica = await system.start("orchestrator")
    now = datetime.now(UTC)
    body = {
        "files": candidate(),
        "from": (now - timedelta(days=31)).isoformat(),
        "to": (now + timedelta(days=1)).isoformat(),
    }
    seconds, answers, cpu = [], [], []
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{replica.port}", timeout=600, headers={"Authorization": "Bearer operator-token"}
        ) as client:
            for _ in range(runs):
                meter = CpuMeter({"orchestrator": lambda: cpu_seconds(replica.process.pid), "postgresql": postgres_cpu})
                meter.start()
                began = time.perf_counter()
                response = await client.post("/v1/dry-runs", json=body)
                seconds.append(time.perf_counter() - began)
                cpu.append(meter.stop())
                if response.status_code != 200:
                    raise RuntimeError(f"dry-run answered {response.status_code}: {response.text[:500]}")
                answers.append(response.json())
    finally:
        await finish(system)
    last = answers[-1]
    return {
        "journeys": last["journeys"],
        "seconds_median": round(statistics.median(seconds), 2),
        "seconds": [round(s, 2) for s in seconds],
        "cpu_seconds_median": {k: round(statistics.median(c[k] for c in cpu), 2) for k in cpu[0]},
        "replays": last["replays"],
        "templates": last["templates"],
        "steps": last["steps"],
        "nothing": last["nothing"],
        "problems": last["problems"],
    }
