"""Least privilege on Kafka: one principal per service and one for billing publishers, and the ACLs that allow
each exactly what it needs, for a cluster whose authorizer denies what no ACL allows
(`allow.everyone.if.no.acl.found=false`):

- billing: write `subscription.cancelled` / `.reactivated`; read their dead letters (what was refused, and why)
  and re-drive them (`make redrive-dlq`);
- billing-bridge (the webhook bridge, which faces the internet): write those two topics, nothing else;
- orchestrator: read those and the results (step results, survey answers); write the commands and the journey
  events; the dead letters of what it reads;
- notifier and survey: read their commands; write the step results (the survey service also the survey answers)
  and their commands' dead letters;
- every service: create (and describe) the topics it creates at start-up; its consumer groups by name.

One source for every place these are needed: `deploy/kafka.sh` applies them to the local broker
(`python -m shared.messaging.acls apply`), the tests apply them for their own topic names, and
`python -m shared.messaging.acls print` writes them as `kafka-acls.sh` commands or Strimzi `KafkaUser`
resources for a platform team (docs/security.md, the Helm chart's README).
"""

import argparse
import asyncio
import sys
from dataclasses import dataclass, field
from typing import Literal

from shared.events import commands, topics
from shared.events.topics import dlq_topic

Resource = Literal["topic", "group"]
Operation = Literal["Read", "Write", "Create", "Describe"]

# Kafka's codes for the CreateAcls request (org.apache.kafka.common.acl / resource).
_RESOURCE = {"topic": 2, "group": 3}
_OPERATION = {"Read": 3, "Write": 4, "Create": 5, "Describe": 8}
_LITERAL, _PREFIXED, _ALLOW = 3, 4, 3


@dataclass(frozen=True)
class Names:
    """The system's topics and consumer groups (the defaults, or a deployment's or a test's own) and who uses
    them: the principal of each service and of billing publishers."""

    subscription_cancelled: str = topics.SUBSCRIPTION_CANCELLED
    subscription_reactivated: str = topics.SUBSCRIPTION_REACTIVATED
    journey_events: str = topics.JOURNEY_EVENTS
    survey_responses: str = topics.SURVEY_RESPONSES
    notifier_commands: str = commands.NOTIFIER_COMMANDS
    survey_commands: str = commands.SURVEY_COMMANDS
    step_results: str = commands.STEP_RESULTS
    orchestrator_groups: tuple[str, ...] = ("orchestrator-billing", "orchestrator-results")
    notifier_groups: tuple[str, ...] = ("notifier-commands",)
    survey_groups: tuple[str, ...] = ("survey-commands",)
    billing_group_prefix: str = "billing"  # billing's own readers of their dead letters
    principals: dict[str, str] = field(
        default_factory=lambda: {
            s: f"User:{s}" for s in ("orchestrator", "notifier", "survey", "billing", "billing-bridge")
        }
    )

    def billing_topics(self) -> tuple[str, str]:
        return (self.subscription_cancelled, self.subscription_reactivated)


@dataclass(frozen=True)
class Acl:
    principal: str
    resource: Resource
    name: str
    operation: Operation
    prefixed: bool = False


def acls(names: Names) -> list[Acl]:
    """Every ACL the system needs, and nothing more."""
    p = names.principals
    billing, orchestrator_reads = names.billing_topics(), (names.step_results, names.survey_responses)
    orchestrator_writes = (names.notifier_commands, names.survey_commands, names.journey_events)
    orchestrator_creates = (*billing, *orchestrator_reads, *orchestrator_writes)
    notifier_creates = (names.notifier_commands, names.step_results)
    survey_creates = (names.survey_commands, names.step_results, names.survey_responses)
    out = [
        *_topics(p["billing"], billing, "Write", "Describe"),
        *_topics(p["billing"], [dlq_topic(t) for t in billing], "Read", "Describe"),
        Acl(p["billing"], "group", names.billing_group_prefix, "Read", prefixed=True),
        # `make redrive-dlq` for a billing topic, as billing (orchestrator/tools/redrive.py names its group so).
        *(Acl(p["billing"], "group", f"redrive-{t}", "Read") for t in billing),
        *_topics(p["billing-bridge"], billing, "Write"),
        *_topics(p["orchestrator"], (*billing, *orchestrator_reads), "Read"),
        *_topics(p["orchestrator"], orchestrator_writes, "Write"),
        *_topics(p["orchestrator"], [dlq_topic(t) for t in (*billing, *orchestrator_reads)], "Write"),
        *_creates(p["orchestrator"], orchestrator_creates),
        *_groups(p["orchestrator"], names.orchestrator_groups),
        *_topics(p["notifier"], [names.notifier_commands], "Read"),
        *_topics(p["notifier"], [names.step_results, dlq_topic(names.notifier_commands)], "Write"),
        *_creates(p["notifier"], notifier_creates),
        *_groups(p["notifier"], names.notifier_groups),
        *_topics(p["survey"], [names.survey_commands], "Read"),
        *_topics(p["survey"], [names.step_results, names.survey_responses, dlq_topic(names.survey_commands)], "Write"),
        *_creates(p["survey"], survey_creates),
        *_groups(p["survey"], names.survey_groups),
    ]
    return list(dict.fromkeys(out))  # one of each (Describe comes from several places)


def _topics(principal: str, names, *operations: Operation) -> list[Acl]:
    return [Acl(principal, "topic", name, op) for name in names for op in (*operations, "Describe")]


def _creates(principal: str, names) -> list[Acl]:
    """The topics a service makes at start-up, each with its dead-letter topic (shared.messaging.topics)."""
    everything = [n for name in names for n in (name, dlq_topic(name))]
    return [Acl(principal, "topic", name, op) for name in everything for op in ("Create", "Describe")]


def _groups(principal: str, groups) -> list[Acl]:
    return [Acl(principal, "group", group, op) for group in groups for op in ("Read", "Describe")]


def kafka_acls_commands(rules: list[Acl]) -> list[str]:
    """The same as `kafka-acls.sh` command lines: one per principal and set of operations, naming every
    resource that gets exactly that set (the tool allows each operation on each resource named)."""
    operations: dict[tuple[str, Resource, str, bool], list[str]] = {}
    for acl in rules:
        operations.setdefault((acl.principal, acl.resource, acl.name, acl.prefixed), []).append(acl.operation)
    grouped: dict[tuple[str, Resource, bool, tuple[str, ...]], list[str]] = {}
    for (principal, resource, name, prefixed), ops in operations.items():
        grouped.setdefault((principal, resource, prefixed, tuple(ops)), []).append(name)
    lines = []
    for (principal, resource, prefixed, ops), resources in grouped.items():
        flags = " ".join(f"--operation {op}" for op in ops) + " " + " ".join(f"--{resource} {n}" for n in resources)
        pattern = " --resource-pattern-type prefixed" if prefixed else ""
        lines.append(
            f"kafka-acls.sh --bootstrap-server $B --command-config admin.properties --add --allow-principal {principal} {flags}{pattern}"
        )
    return lines


def strimzi_users(rules: list[Acl], *, cluster: str = "my-cluster") -> str:
    """The same as Strimzi `KafkaUser` resources (SCRAM-SHA-512), one per principal."""
    documents = []
    for principal in dict.fromkeys(a.principal for a in rules):
        user = principal.removeprefix("User:")
        lines = [
            "apiVersion: kafka.strimzi.io/v1beta2",
            "kind: KafkaUser",
            "metadata:",
            f"  name: {user}",
            f"  labels: {{strimzi.io/cluster: {cluster}}}",
            "spec:",
            "  authentication: {type: scram-sha-512}",
            "  authorization:",
            "    type: simple",
            "    acls:",
        ]
        operations: dict[tuple[str, str, bool], list[str]] = {}
        for acl in (a for a in rules if a.principal == principal):
            operations.setdefault((acl.resource, acl.name, acl.prefixed), []).append(acl.operation)
        for (resource, name, prefixed), ops in operations.items():
            pattern = "prefix" if prefixed else "literal"
            lines.append(
                f"      - {{resource: {{type: {resource}, name: {name}, patternType: {pattern}}}, "
                f"operations: [{', '.join(ops)}]}}"
            )
        documents.append("\n".join(lines))
    return "---\n" + "\n---\n".join(documents) + "\n"


async def apply(bootstrap_servers: str, rules: list[Acl], *, options: dict | None = None) -> None:
    """Create these ACLs through the admin API, as a super user of the cluster (existing ones are left as they
    are). Kafka's own `kafka-acls.sh` does the same; this avoids starting a JVM per principal."""
    from aiokafka.admin import AIOKafkaAdminClient
    from aiokafka.protocol.admin import CreateAclsRequest

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="acl-setup", **(options or {}))
    await admin.start()
    try:
        for acl in rules:
            request = CreateAclsRequest(
                _RESOURCE[acl.resource],
                acl.name,
                _PREFIXED if acl.prefixed else _LITERAL,
                acl.principal,
                "*",
                _OPERATION[acl.operation],
                _ALLOW,
            )
            # aiokafka has the request but no public method for it yet.
            response = await admin._send_request(request)
            for code, message in response.creation_responses:
                if code:
                    raise RuntimeError(f"creating the ACL {acl} failed: error {code} {message}")
    finally:
        await admin.close()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m shared.messaging.acls", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["apply", "print", "strimzi"])
    parser.add_argument("--bootstrap-server", default="127.0.0.1:9092")
    arguments = parser.parse_args(argv)
    rules = acls(Names())
    if arguments.action == "apply":
        asyncio.run(apply(arguments.bootstrap_server, rules))
        print(f"{len(rules)} ACLs in place", file=sys.stderr)
    elif arguments.action == "print":
        print("\n".join(kafka_acls_commands(rules)))
    else:
        print(strimzi_users(rules), end="")


if __name__ == "__main__":
    main(sys.argv[1:])
