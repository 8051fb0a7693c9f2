"""The cost of a cancellation: the CPU time every process spent over a run (read from /proc), and the SQL
statements, transactions and Kafka messages the run took, each divided by the cancellations.

CPU is utime + stime of each process. PostgreSQL's backends come and go, so its figure is every live
`postgres` process plus what the postmaster collected from backends that exited (its cutime + cstime).
Statements come from pg_stat_statements (loaded by deploy/postgres.sh); the benchmark's own polling
statements are left out by their text.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition

TICKS = os.sysconf("SC_CLK_TCK")
PROC = Path("/proc")
BENCH_OWN = ("SELECT count(*) FROM", "SELECT pg_stat_statements_reset", "SELECT sum(calls)", "SELECT xact_commit")


def _stat(pid: int) -> list[str] | None:
    """/proc/<pid>/stat after the command name (which may hold spaces): field 3 (state) is index 0."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return text[text.rindex(")") + 2 :].split()


def cpu_seconds(pid: int, *, reaped_children: bool = False) -> float:
    fields = _stat(pid)
    if fields is None:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if reaped_children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / TICKS


def own_cpu_seconds() -> float:
    """This process, every thread of it (a sink the benchmark runs in a thread of its own is counted here)."""
    return cpu_seconds(os.getpid())


def _processes() -> list[tuple[int, str, int, str]]:
    """(pid, comm, ppid, cmdline) of every process we may read."""
    found = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm = (entry / "comm").read_text().strip()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        fields = _stat(int(entry.name))
        if fields is not None:
            found.append((int(entry.name), comm, int(fields[1]), cmdline))
    return found


def postgres_cpu() -> float:
    processes = _processes()
    ours = {pid for pid, comm, _, _ in processes if comm == "postgres"}
    return sum(cpu_seconds(pid, reaped_children=ppid not in ours) for pid, comm, ppid, _ in processes if pid in ours)


def descendants(pid: int) -> set[int]:
    """The live children of a process, theirs, and so on."""
    processes = _processes()
    family, grew = {pid}, True
    while grew:
        children = {p for p, _, ppid, _ in processes if ppid in family} - family
        family |= children
        grew = bool(children)
    return family - {pid}


def tree_cpu_seconds(pid: int) -> float:
    """A process and its live descendants (a server that runs its work in child processes, as hypercorn does)."""
    return sum(cpu_seconds(p) for p in descendants(pid) | {pid})


def kafka_cpu() -> float:
    return sum(cpu_seconds(pid) for pid, comm, _, cmd in _processes() if comm == "java" and "kafka.Kafka" in cmd)


@dataclass
class CpuMeter:
    """CPU seconds per named process group between `start()` and `stop()`."""

    groups: dict[str, Callable[[], float]]
    _before: dict[str, float] = field(default_factory=dict)

    def start(self) -> None:
        self._before = {name: read() for name, read in self.groups.items()}

    def stop(self) -> dict[str, float]:
        return {name: read() - self._before[name] for name, read in self.groups.items()}


def sink_pid(port: int) -> int:
    """The benchmark's SMTP sink, found by its command line."""
    return next(pid for pid, _, _, cmd in _processes() if "smtp_sink.py" in cmd and f"--port {port}" in cmd)


def service_groups(system, sink_pid: int) -> dict[str, Callable[[], float]]:
    """The services of `system` (by name, replicas summed), the broker, the database and the SMTP sink."""
    groups: dict[str, Callable[[], float]] = {}
    for service in ("orchestrator", "notifier", "survey"):
        pids = [r.process.pid for r in system.replicas if r.service == service and r.process]
        groups[service] = lambda pids=pids: sum(cpu_seconds(pid) for pid in pids)
    groups["kafka"] = kafka_cpu
    groups["postgresql"] = postgres_cpu
    groups["smtp_sink"] = lambda: cpu_seconds(sink_pid)
    return groups


async def statements_and_transactions(sql, url: str, database: str) -> tuple[int | None, int]:
    """Statements run in `database` since the last reset (None without pg_stat_statements), and its commits
    so far (subtract an earlier reading)."""
    commits = (await sql(url, "SELECT xact_commit FROM pg_stat_database WHERE datname = :db", {"db": database}))[0][0]
    own = {f"own{i}": f"{prefix}%" for i, prefix in enumerate(BENCH_OWN)}
    try:
        rows = await sql(
            url,
            "SELECT sum(calls) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
            f"WHERE d.datname = :db AND NOT ({' OR '.join(f's.query LIKE :{name}' for name in own)})",
            {"db": database, **own},
        )
    except Exception:
        return None, commits
    return int(rows[0][0] or 0), commits


async def reset_statements(sql, url: str) -> bool:
    try:
        await sql(url, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        await sql(url, "SELECT pg_stat_statements_reset()")
        return True
    except Exception:
        return False  # not loaded: the local stack was started before deploy/postgres.sh loaded it


async def kafka_messages(bootstrap: str, topics: dict[str, str]) -> dict[str, int]:
    """Records on each of the run's topics (fresh topics: their end offsets)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=None)
    await consumer.start()
    try:
        counts = {}
        for name, topic in topics.items():
            partitions = [TopicPartition(topic, p) for p in (consumer.partitions_for_topic(topic) or set())]
            if not partitions:
                await consumer._client.force_metadata_update()
                partitions = [TopicPartition(topic, p) for p in (consumer.partitions_for_topic(topic) or set())]
            ends = await consumer.end_offsets(partitions) if partitions else {}
            counts[name] = sum(ends.values())
        return counts
    finally:
        await consumer.stop()


class RunCost:
    """Everything a run cost, from `start()` to `stop()`: CPU per process, statements and commits in the database,
    and at the end the records on the run's topics; `per_cancellation(n)` divides it."""

    def __init__(self, system, sink_port: int, sql, url: str, database: str, kafka: str) -> None:
        self._meter = CpuMeter(service_groups(system, sink_pid(sink_port)))
        self._system, self._sql, self._url, self._database, self._kafka = system, sql, url, database, kafka

    async def start(self) -> None:
        self._counting = await reset_statements(self._sql, self._url)
        self._statements, self._commits = await statements_and_transactions(self._sql, self._url, self._database)
        self._meter.start()

    async def stop(self) -> None:
        self._cpu = self._meter.stop()
        statements, commits = await statements_and_transactions(self._sql, self._url, self._database)
        self._counted = statements - self._statements if self._counting and statements is not None else None
        self._committed = commits - self._commits
        self._messages = await kafka_messages(self._kafka, self._system.topics())

    def per_cancellation(self, n: int) -> dict:
        return per_cancellation(self._cpu, self._counted, self._committed, self._messages, n)


def per_cancellation(cpu: dict[str, float], statements: int | None, commits: int, messages: dict[str, int], n: int):
    services = sum(cpu[s] for s in ("orchestrator", "notifier", "survey"))
    return {
        "cpu_ms": {name: round(1000 * seconds / n, 2) for name, seconds in cpu.items()}
        | {"services": round(1000 * services / n, 2), "total": round(1000 * sum(cpu.values()) / n, 2)},
        "sql_statements": round(statements / n, 1) if statements is not None else None,
        "sql_transactions": round(commits / n, 1),
        "kafka_messages": {name: round(count / n, 2) for name, count in messages.items()}
        | {"total_internal": round(sum(c for t, c in messages.items() if t != "cancelled") / n, 2)},
    }
