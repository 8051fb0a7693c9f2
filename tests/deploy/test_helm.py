"""The Helm chart, as `make lint-deploy` rendered it with helm (deploy/helm/rendered/): each render is of the
chart as it is now (its digest), every manifest is valid against the Kubernetes schemas, and the chart does what
platform teams expect of it (replicas, probes, resources, the migration hook, disruption budgets, secrets only by
reference)."""

import importlib
import os
import re

import kubernetes_validate
import pytest
import yaml

from .renders import HELM, ROOT, VARIANTS, digest, render, values

KUBERNETES = "1.33.0"  # the oldest minor version still supported upstream when the chart was written


@pytest.mark.parametrize("variant", VARIANTS)
def test_the_committed_render_is_of_the_chart_as_it_is(variant):
    text, _ = render(variant)
    extra = VARIANTS[variant]
    assert f"# chart digest: {digest(HELM / extra if extra else None)}" in text, (
        f"deploy/helm/rendered/{variant}.yaml is stale: run `make lint-deploy` and commit the renders"
    )


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_manifest_is_valid_kubernetes(variant):
    _, docs = render(variant)
    for doc in docs:
        if doc["kind"] == "ServiceMonitor":
            assert doc["apiVersion"] == "monitoring.coreos.com/v1"
            assert doc["spec"]["selector"]["matchLabels"] and doc["spec"]["endpoints"][0]["path"] == "/metrics"
            continue
        if doc["kind"] == "PrometheusRule":
            assert doc["apiVersion"] == "monitoring.coreos.com/v1"
            assert doc["spec"] == yaml.safe_load((ROOT / "deploy" / "monitoring" / "alerts.yaml").read_text())
            continue
        kubernetes_validate.validate(doc, KUBERNETES, strict=True)


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_service_runs_as_platform_teams_expect(variant):
    _, docs = render(variant)
    wanted = values(variant)
    by_kind: dict[str, dict[str, dict]] = {}
    for doc in docs:
        by_kind.setdefault(doc["kind"], {})[doc["metadata"]["name"]] = doc
    for service, settings in wanted["services"].items():
        name = f"offboarding-{service}"
        deployment = by_kind["Deployment"][name]
        assert deployment["spec"]["replicas"] == settings["replicas"]
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["resources"]["requests"]["cpu"] and container["resources"]["requests"]["memory"]
        env = {e["name"]: e for e in container["env"]}
        prefix = settings.get("envPrefix", service.upper())
        assert env[f"{prefix}_HTTP_HOST"]["value"] == "0.0.0.0"
        assert env["KAFKA_BOOTSTRAP_SERVERS"]["value"] == wanted["kafka"]["bootstrapServers"]
        secrets = [name for name in env if name.endswith(("_SECRET", "_KEY", "_CREDENTIALS", "_PASSWORD"))]
        if not settings.get("stateless"):
            secrets += ["DATABASE_URL", "OFFBOARDING_API_TOKENS"]
        else:
            assert "DATABASE_URL" not in env, "a stateless service gets no database"
        own = wanted["secrets"]["names"][service]
        for secret in secrets:
            assert "value" not in env[secret] and env[secret]["valueFrom"]["secretKeyRef"]["key"], secret
            assert env[secret]["valueFrom"]["secretKeyRef"]["name"] == own, f"{service} reads only its own Secret"
        assert by_kind["PodDisruptionBudget"][name]["spec"]["maxUnavailable"] == 1
        assert by_kind["Service"][name]["spec"]["ports"][0]["port"] == settings["port"]
    job = by_kind["Job"]["offboarding-migrate"]
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    commands = [c["args"] for c in job["spec"]["template"]["spec"]["containers"]]
    stateful = sorted(s for s, c in wanted["services"].items() if not c.get("stateless"))
    assert sorted(commands) == [["python", "-m", s, "migrate"] for s in stateful]


def test_each_service_has_its_own_secret_with_only_its_credentials():
    text, docs = render("inline-secrets")
    wanted = values("inline-secrets")["secrets"]
    secrets = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Secret"}
    assert set(secrets) == set(wanted["names"].values())
    for component, name in wanted["names"].items():
        secret = secrets[name]
        assert int(secret["metadata"]["annotations"]["helm.sh/hook-weight"]) < 0, "exists before the migration job"
        assert set(secret["stringData"]) == {
            re.sub(r"[A-Z]", lambda m: "-" + m[0].lower(), k) for k in wanted[component]
        }
    assert secrets["offboarding-migrations"]["stringData"] == {"database-url": wanted["migrations"]["databaseUrl"]}
    assert "console-secret" not in secrets["offboarding-notifier"]["stringData"], "no service holds another's"
    passwords = [s["stringData"]["kafka-sasl-password"] for n, s in secrets.items() if n != "offboarding-migrations"]
    assert len(set(passwords)) == len(passwords) == 4, "one Kafka password per principal"
    console = wanted["orchestrator"]["consoleSecret"]
    assert text.count(console) == 1, "only in the Secret itself"


def test_a_secret_the_chart_creates_refuses_to_render_without_what_its_service_needs():
    """The `required` calls are in the template: without helm here, read them as the render's guard."""
    template = (HELM / "offboarding" / "templates" / "secret.yaml").read_text()
    assert '"notifier" (list "databaseUrl" "apiTokens" "webhookSecret" "returnPathKey" "addressKey")' in template
    assert 'required (printf "secrets.%s.%s is required' in template


def test_production_speaks_sasl_ssl_and_brings_its_own_secrets():
    _, production = render("production")
    (orchestrator,) = [d for d in production if d["kind"] == "Deployment" and "orchestrator" in d["metadata"]["name"]]
    env = {e["name"]: e for e in orchestrator["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["KAFKA_SECURITY_PROTOCOL"]["value"] == "SASL_SSL" and env["KAFKA_SSL_CAFILE"]["value"]
    assert env["KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
        "name": "offboarding-orchestrator",
        "key": "kafka-sasl-password",
    }
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"]["value"] and env["ORCHESTRATOR_TIMER_BATCH_SIZE"]["value"] == "200"
    assert not [d for d in production if d["kind"] == "Secret"], "production brings its own Secrets"


def test_each_service_connects_as_its_own_database_login_and_only_the_migrations_as_the_owner():
    _, docs = render("production")
    names = values("production")["secrets"]["names"]
    for deployment in (d for d in docs if d["kind"] == "Deployment"):
        service = deployment["metadata"]["labels"]["app.kubernetes.io/component"]
        if values("production")["services"][service].get("stateless"):
            continue
        env = {e["name"]: e for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {"name": names[service], "key": "database-url"}
        prefix = values("production")["services"][service].get("envPrefix", service.upper())
        assert env[f"{prefix}_FORWARDED_ALLOW_IPS"]["value"] == values("production")["trustedProxies"]
    (job,) = [d for d in docs if d["kind"] == "Job"]
    for container in job["spec"]["template"]["spec"]["containers"]:
        env = {e["name"]: e for e in container["env"]}
        assert env["DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {"name": names["migrations"], "key": "database-url"}


def test_the_billing_bridge_is_stateless_with_its_own_principal_and_only_its_providers_secrets():
    _, docs = render("production")
    (bridge,) = [d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "offboarding-billing-bridge"]
    (container,) = bridge["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e for e in container["env"]}
    assert container["args"] == ["sh", "-c", "exec python -m billing_bridge serve"]
    assert env["KAFKA_SASL_USERNAME"]["value"] == "billing-bridge"
    assert {"BILLING_STRIPE_WEBHOOK_SECRET", "BILLING_STRIPE_API_KEY", "BILLING_WEBHOOK_SECRET"} <= set(env)
    assert "BILLING_PADDLE_WEBHOOK_SECRET" not in env, "a provider that is off gets no secret"
    assert "DATABASE_URL" not in env and "OFFBOARDING_API_TOKENS" not in env


def test_the_migration_job_reads_the_same_settings_as_each_service_in_production(monkeypatch):
    """`python -m <service> migrate` builds the service's settings, which refuse development secrets in
    production; and the notifier's data migration 0011 needs its address key. The job has what the service has
    (but its HTTP listener)."""
    _, docs = render("production")
    (job,) = [d for d in docs if d["kind"] == "Job"]
    for container in job["spec"]["template"]["spec"]["containers"]:
        module = container["args"][2]
        (deployment,) = [d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"].endswith(module)]
        served = {e["name"] for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
        env = {e["name"]: e for e in container["env"]}
        missing = {n for n in served - set(env) if not n.endswith(("_HTTP_HOST", "_HTTP_PORT", "_FORWARDED_ALLOW_IPS"))}
        assert not missing, f"the migration job of the {module} lacks {sorted(missing)}"
        for name in [n for n in os.environ if n.startswith((module.upper(), "OFFBOARDING_", "DATABASE_", "KAFKA_"))]:
            monkeypatch.delenv(name)
        for name, entry in env.items():
            monkeypatch.setenv(name, entry.get("value") or _secret_for(name))
        importlib.import_module(f"{module}.config").Settings()  # raises when a secret is missing in production


def test_the_chart_without_your_brand_stops_at_the_migration_job_naming_what_to_set(monkeypatch):
    """The defaults leave the brand and the sender empty: in production the notifier's and the survey's settings
    refuse the example, so `helm install` fails in the migration hook before anything rolls out."""
    _, docs = render("default")
    (job,) = [d for d in docs if d["kind"] == "Job"]
    refused = {}
    for container in job["spec"]["template"]["spec"]["containers"]:
        module = container["args"][2]
        for name in [n for n in os.environ if n.startswith((module.upper(), "OFFBOARDING_", "DATABASE_", "KAFKA_"))]:
            monkeypatch.delenv(name)
        for entry in container["env"]:
            monkeypatch.setenv(entry["name"], entry.get("value") or _secret_for(entry["name"]))
        try:
            importlib.import_module(f"{module}.config").Settings()
        except ValueError as refusal:
            refused[module] = str(refusal)
    assert set(refused) == {"notifier", "survey"}, refused
    assert "the example brand in production: set OFFBOARDING_BRAND_NAME" in refused["survey"]
    assert "OFFBOARDING_BRAND_NAME" in refused["notifier"] and "NOTIFIER_MAIL_FROM" not in refused["notifier"]


def _secret_for(name: str) -> str:
    if name == "DATABASE_URL":
        return "postgresql://owner:a-real-password@postgres.data:5432/offboarding"
    if name == "OFFBOARDING_API_TOKENS":
        return "a-long-random-viewer-token-of-30-chars:viewer"
    return "a-real-secret-of-more-than-24-characters"


def test_the_brand_is_one_configuration_for_the_emails_and_the_pages():
    _, docs = render("production")
    brand = values("production")["brand"]
    for service in ("notifier", "survey"):
        (deployment,) = [
            d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == f"offboarding-{service}"
        ]
        env = {e["name"]: e.get("value") for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert env["OFFBOARDING_BRAND_NAME"] == brand["brandName"]
        assert env["OFFBOARDING_EXPORT_URL"] == brand["exportUrl"]
        assert env["OFFBOARDING_REACTIVATE_URL_B2B"] == brand["reactivateUrlB2b"]
    _, plain = render("default")
    (survey,) = [d for d in plain if d["kind"] == "Deployment" and d["metadata"]["name"] == "offboarding-survey"]
    env = {e["name"] for e in survey["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert not {n for n in env if n.startswith("OFFBOARDING_BRAND")}, "an empty value leaves the setting's default"


def test_your_own_wording_is_checked_in_a_hook_before_it_is_mounted_and_rolled_out():
    _, docs = render("wording")
    wording = values("wording")["wording"]
    by_name = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    config = by_name[("ConfigMap", "offboarding-wording")]
    check = by_name[("Job", "offboarding-check-wording")]
    migrate = by_name[("Job", "offboarding-migrate")]
    weight = lambda d: int(d["metadata"]["annotations"]["helm.sh/hook-weight"])  # noqa: E731
    assert weight(config) < weight(check) < weight(migrate), "written, checked, then the release goes on"
    assert check["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    job = check["spec"]["template"]["spec"]
    assert job["containers"][0]["args"][-3:] == [
        "/etc/offboarding/wording/journeys",
        "--messages",
        "/etc/offboarding/wording/messages/email",
    ]
    assert check["spec"]["backoffLimit"] == 0
    volumes = {v["name"]: v for v in job["volumes"]}
    items = {i["path"]: config["data"][i["key"]] for i in volumes["wording-messages"]["configMap"]["items"]}
    assert items == wording["messages"], "every message file at its own path, as it was"
    journeys = {i["path"]: config["data"][i["key"]] for i in volumes["wording-journeys"]["configMap"]["items"]}
    assert journeys == wording["journeys"]
    for service, setting in (("orchestrator", "ORCHESTRATOR_TEMPLATES_DIR"), ("notifier", "NOTIFIER_TEMPLATES_DIR")):
        pod = by_name[("Deployment", f"offboarding-{service}")]["spec"]["template"]
        env = {e["name"]: e.get("value") for e in pod["spec"]["containers"][0]["env"]}
        mounts = {m["mountPath"] for m in pod["spec"]["containers"][0]["volumeMounts"]}
        assert env[setting] in mounts
        assert pod["metadata"]["annotations"]["checksum/wording"], "new wording rolls the pods"
    _, plain = render("default")
    assert not [d for d in plain if d["kind"] == "ConfigMap"], "without wording: the shipped one, nothing mounted"
