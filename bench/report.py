"""The benchmark's report: the machine it ran on, and the table `make bench` prints from the figures."""

import os
import platform


def machine() -> dict:
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def table(r: dict) -> str:
    api = r["support_api"]
    rows = [
        ("raw Kafka produce (1 KiB, acks=all)", f"{r['kafka']['produce_per_s']:,} msg/s", ""),
        ("raw Kafka consume", f"{r['kafka']['consume_per_s']:,} msg/s", ""),
        ("pgbench, orchestrator writes per event, -c 8", f"{r['pgbench']['tps']:,} tx/s", ""),
        ("orchestrator intake", f"{r['intake']['per_s']:,} events/s", f"{r['ratios']['intake_vs_pgbench']}x pgbench"),
        (
            "end to end, sustained",
            f"{r['end_to_end']['per_s']} cancellations/s",
            f"{r['end_to_end']['events']} events in {r['end_to_end']['seconds']} s",
        ),
        (
            f"latency event -> confirmation at {r['latency']['rate_per_s']}/s",
            f"p50 {r['latency']['p50_ms']} ms",
            f"p95 {r['latency']['p95_ms']} ms, p99 {r['latency']['p99_ms']} ms",
        ),
    ]
    rows += cost_rows(r["end_to_end"]["per_cancellation"])
    if "email_build" in r:
        e = r["email_build"]
        rows.append(
            (
                "notifier CPU per email, built (median)",
                f"{e['us_per_email_median']} µs",
                f"layout compiled once: {e['layout_compile_ms']} ms",
            )
        )
    if "dry_run" in r:
        d = r["dry_run"]
        rows.append(
            (
                f"dry-run over {d['journeys']:,} past cancellations",
                f"{d['seconds_median']} s (median)",
                f"{d['replays']:,} replays; runs {d['seconds']} s",
            )
        )
    if "feedback" in r:
        f = r["feedback"]
        rows.append(
            (
                f"bounce reports mailed to the notifier ({f['connections']} connections)",
                f"{f['per_s']} reports/s",
                f"notifier CPU {f['notifier_cpu_ms_per_report']} ms/report; {f['sql_statements_per_report']} statements",
            )
        )
    if "email_build" in r and "dkim_us_per_email_median" in r["email_build"]:
        e = r["email_build"]
        rows.append(
            (
                "per sent email: DKIM signature / return path (median)",
                f"{e['dkim_us_per_email_median']} µs / {e['return_path_us_per_email_median']} µs",
                "CPU, in-process",
            )
        )
    for provider, note in (("stripe", "customer read from its API"), ("chargebee", "customer in the webhook")):
        if provider in r.get("bridge", {}):
            b = r["bridge"][provider]
            rows.append(
                (
                    f"billing bridge, {provider} webhooks accepted end to end ({r['bridge']['concurrency']} in flight)",
                    f"{b['per_s']} webhooks/s",
                    f"bridge CPU {b['bridge_cpu_ms_per_webhook']} ms/webhook; 2xx p50 {b['p50_ms']} ms, "
                    f"p99 {b['p99_ms']} ms; {note}",
                )
            )
    if "customer_page" in r:
        c = r["customer_page"]
        for mode, note in (("paced", "each reads ~1 s between pages"), ("saturated", "no pause: the ceiling")):
            m = c[mode]
            rows.append(
                (
                    f"customer's page, {c['visitors']} visitors at once, {mode} ({note})",
                    f"p99 {m['p99_ms']} ms (target < 50)",
                    f"p50 {m['p50_ms']} ms; {m['per_s']} views/s; survey CPU {m['cpu_ms_per_view']} ms/view",
                )
            )
    if "quiet" in r:
        q = r["quiet"]
        for service, idle in q["idle_ms_per_s"].items():
            rows.append(
                (
                    f"quiet day: {service} idle, after a minute of quiet (median of {q['runs']})",
                    f"{idle} ms CPU/s (target <= 3)",
                    f"RSS {q['rss_mib_after_trickle_start'][service]} MiB; "
                    f"{q['trickle_ms_per_cancellation_beyond_idle'][service]} ms per cancellation at {q['rate_per_s']}/s",
                )
            )
        rows.append(
            (
                f"quiet day: service CPU per cancellation at {q['rate_per_s']}/s beyond the idle burn",
                f"{q['trickle_ms_per_cancellation_all_services']} ms (target <= 8)",
                "orchestrator, notifier and survey together",
            )
        )
        rows += [
            (
                "quiet day: SQL statements for a lone cancellation, to its first email",
                f"{q['lone_statements_to_first_email']} (target <= 30)",
                f"{q['lone_statements_settled']} once its steps due at once settled; idle {q['idle_statements_per_s']}/s",
            ),
            (
                f"quiet day: publish -> first email at {q['rate_per_s']}/s",
                f"p99 {q['trickle_latency_p99_ms']} ms (target <= 50)",
                f"p50 {q['trickle_latency_p50_ms']} ms",
            ),
        ]
        if "burst_per_s" in q:
            burst_cpu = q["burst_ms_per_cancellation"]
            services = round(sum(burst_cpu[s] for s in q["idle_ms_per_s"]), 2)
            rows += [
                (
                    f"quiet day: {q['burst_events']:,} at once, to the first email",
                    f"{q['burst_per_s']}/s (target >= 300)",
                    f"p50 / p99 {q['burst_latency_p50_s']} / {q['burst_latency_p99_s']} s; "
                    f"CPU per cancellation: services {services} ms, all {round(sum(burst_cpu.values()), 2)} ms",
                ),
                (
                    "quiet day: resident memory after the burst (MiB)",
                    " / ".join(str(v) for v in q["rss_mib_after_burst"].values()) + " (target <= 150)",
                    "orchestrator / notifier / survey",
                ),
            ]
    for kind in ("search_by_customer", "search_by_email", "search_newest_active", "detail"):
        for key, concurrency in ((f"{kind}_alone", 1), (kind, api["concurrency"])):
            if key in api:
                rows.append(
                    (
                        f"support API {kind} ({api['journeys']:,} journeys, {concurrency} concurrent)",
                        f"p50 {api[key]['p50_ms']} ms",
                        f"p99 {api[key]['p99_ms']} ms",
                    )
                )
    for page, figures in api.get("console", {}).items():
        rows.append(
            (
                f"console page {page} ({api['journeys']:,} journeys, {api['console_concurrency']} concurrent)",
                f"p50 {figures['p50_ms']} ms",
                f"p95 {figures['p95_ms']} ms, p99 {figures['p99_ms']} ms",
            )
        )
    width = max(len(a) for a, _, _ in rows)
    lines = [f"{'measure':<{width}} | {'figure':<24} | note", f"{'-' * width}-|-{'-' * 24}-|-----"]
    lines += [f"{a:<{width}} | {b:<24} | {c}" for a, b, c in rows]
    return "\n".join(lines)


def cost_rows(c: dict) -> list[tuple[str, str, str]]:
    """The cost table: what one cancellation costs each process, end to end."""
    cpu = c["cpu_ms"]
    rows = [
        (f"CPU per cancellation: {name}", f"{cpu[name]} ms", "")
        for name in ("orchestrator", "notifier", "survey", "postgresql", "kafka", "smtp_sink")
    ]
    rows.append(
        ("CPU per cancellation: the three services", f"{cpu['services']} ms", f"all processes {cpu['total']} ms")
    )
    statements = c["sql_statements"]
    rows.append(
        (
            "SQL per cancellation",
            f"{statements} statements" if statements is not None else "n/a",
            f"{c['sql_transactions']} transactions"
            + ("" if statements is not None else "; pg_stat_statements not loaded: restart the local stack"),
        )
    )
    kafka = c["kafka_messages"]
    detail = ", ".join(f"{t} {n}" for t, n in kafka.items() if t not in ("total_internal", "cancelled") and n)
    rows.append(("Kafka messages per cancellation (internal topics)", f"{kafka['total_internal']}", detail))
    return rows
