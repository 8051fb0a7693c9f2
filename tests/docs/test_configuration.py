"""The configuration reference (docs/configuration.md, services/*/.env.example) is made from the settings classes
and is current; every setting is described; and every variable the deployment files set is one a service reads."""

import re
import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import configuration

ROOT = configuration.ROOT


@pytest.mark.parametrize("path", list(configuration.outputs()), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_reference_is_made_from_the_settings_as_they_are(path):
    assert path.exists() and path.read_text() == configuration.outputs()[path], (
        f"{path.relative_to(ROOT)} is stale: run `make docs-config` and commit it"
    )


def test_every_setting_is_described():
    assert not configuration.missing_descriptions(), "give these a comment in their settings class"


def test_secrets_are_marked_and_a_stateless_service_lists_no_database():
    rows = {
        line.split("|")[1].strip().strip("`"): line
        for line in configuration.document().splitlines()
        if line.startswith("| `")
    }
    for name in (
        "DATABASE_URL",
        "OFFBOARDING_API_TOKENS",
        "KAFKA_SASL_PASSWORD",
        "ORCHESTRATOR_CONSOLE_SECRET",
        "NOTIFIER_ADDRESS_KEY",
        "SURVEY_TOKEN_SECRET",
        "BILLING_STRIPE_WEBHOOK_SECRET",
    ):
        assert "**secret**" in rows[name], name
    assert "**secret**" not in rows["KAFKA_BOOTSTRAP_SERVERS"]
    bridge = configuration.env_example("billing_bridge")
    assert "DATABASE_URL" not in bridge and "BILLING_STRIPE_WEBHOOK_SECRET=" in bridge
    assert "Read by: orchestrator, notifier, survey." in rows["DATABASE_URL"]


def _compose_variables() -> set[str]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    used = set()
    for name, service in compose["services"].items():
        if name in ("kafka", "postgres", "mailpit"):
            continue  # the images' own settings, documented by those projects
        used |= set(service.get("environment", {}))
    return used | set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", (ROOT / "docker-compose.yml").read_text()))


def _helm_variables() -> set[str]:
    used = set()
    for render in (ROOT / "deploy" / "helm" / "rendered").glob("*.yaml"):
        for doc in yaml.safe_load_all(render.read_text()):
            spec = (doc or {}).get("spec", {}).get("template", {}).get("spec", {})
            for container in spec.get("containers", []):
                used |= {e["name"] for e in container.get("env", [])}
    return used


@pytest.mark.parametrize("where", ["compose", "helm"])
def test_every_variable_the_deployment_sets_is_one_a_service_reads(where):
    used = _compose_variables() if where == "compose" else _helm_variables()
    assert len(used) > 10, "no variables found: the check would pass vacuously"
    unknown = {n for n in used if not n.startswith("OTEL_")} - configuration.variables()
    assert not unknown, f"set by {where} but read by no service (a typo, or a setting that went away): {unknown}"


def test_the_check_catches_a_misspelt_variable():
    assert "NOTIFIER_SMTP_HOST" in configuration.variables()
    assert "NOTIFIER_SMTP_HOTS" not in configuration.variables()
