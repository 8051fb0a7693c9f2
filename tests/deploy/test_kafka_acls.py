"""The ACLs as published for platform teams (docs/security.md, the Strimzi users) are the ones the local broker
and the secured tests run with (shared/messaging/acls.py), and they keep each principal to its own topics."""

from pathlib import Path

from shared.messaging import acls

ROOT = Path(__file__).resolve().parents[2]
RULES = acls.acls(acls.Names())


def test_the_published_acls_are_the_enforced_ones():
    security = (ROOT / "docs" / "security.md").read_text()
    assert "\n".join(acls.kafka_acls_commands(RULES)) in security, "run: python -m shared.messaging.acls print"
    strimzi = (ROOT / "deploy" / "helm" / "kafka-users.strimzi.yaml").read_text()
    assert strimzi.endswith(acls.strimzi_users(RULES)), "run: python -m shared.messaging.acls strimzi"


def test_only_the_orchestrator_writes_commands_and_only_billing_writes_cancellations():
    writers: dict[str, set[str]] = {}
    for rule in RULES:
        if rule.resource == "topic" and rule.operation == "Write":
            writers.setdefault(rule.name, set()).add(rule.principal)
    assert writers["offboarding.notifier.commands"] == writers["offboarding.survey.commands"] == {"User:orchestrator"}
    billing = {"User:billing", "User:billing-bridge"}
    assert writers["subscription.cancelled"] == writers["subscription.reactivated"] == billing
    assert writers["offboarding.step.results"] == {"User:notifier", "User:survey"}
    assert writers["survey.responses"] == {"User:survey"}
    assert not any(r.operation in ("Alter", "Delete", "All") for r in RULES)
