"""What the chart lets in and out, read from the committed renders: the Ingress exposes only the public paths of
each service, the NetworkPolicies let each service reach only what it needs; and the chart's README is generated
from the values as they are now."""

import re

import yaml

from .renders import HELM, ROOT, readme_digest, render, values

# What customers and billing providers must reach from the internet, and nothing else (contract 1b, 5, 5b).
PUBLIC = {
    "survey": {("/s/", "Prefix"), ("/p/", "Prefix")},
    "notifier": {("/u/", "Prefix"), ("/webhooks/email/", "Prefix")},
    "billing-bridge": {("/webhooks/", "Prefix"), ("/v1/events", "Exact")},
}
NEVER = ("/v1", "/console", "/metrics", "/healthz", "/readyz", "/docs", "/openapi.json", "/")


def _ingress_paths() -> list[tuple[str, str, str, str]]:
    _, docs = render("production")
    (ingress,) = [d for d in docs if d["kind"] == "Ingress"]
    return [
        (rule["host"], p["path"], p["pathType"], p["backend"]["service"]["name"].removeprefix("offboarding-"))
        for rule in ingress["spec"]["rules"]
        for p in rule["http"]["paths"]
    ]


def _reaches(path: str, kind: str, route: str) -> bool:
    """Whether an Ingress path of that type sends a request for `route` on (Kubernetes' matching rules)."""
    if kind == "Exact":
        return route == path
    prefix = path.rstrip("/")
    return route == prefix or route.startswith(prefix + "/") or prefix == ""


def test_the_ingress_exposes_exactly_the_public_paths_at_each_services_public_host():
    paths = _ingress_paths()
    exposed: dict[str, set] = {}
    for host, path, kind, service in paths:
        exposed.setdefault(service, set()).add((path, kind))
        public_url = values("production")["services"][service]["publicUrl"]
        assert public_url == f"https://{host}", f"{service} is served at the host of its publicUrl"
    assert exposed == PUBLIC
    _, docs = render("default")
    assert not [d for d in docs if d["kind"] == "Ingress"], "off unless asked for"


def test_the_console_the_apis_the_metrics_and_the_health_checks_are_never_exposed():
    routes = [
        *NEVER,
        "/v1/journeys",
        "/v1/deliveries",
        "/v1/insights",
        "/v1/suppressions",
        "/console/journeys/x",
        "/v1/events/../journeys",
        "/metricsx",
    ]
    for host, path, kind, service in _ingress_paths():
        for route in routes:
            if route == "/v1/events/../journeys":
                continue  # normalised by the controller before matching: /v1/journeys, checked above
            assert not _reaches(path, kind, route), f"{host}{path} ({kind}) would expose {route} of the {service}"
    assert _reaches("/v1/events", "Exact", "/v1/events") and not _reaches("/v1/events", "Exact", "/v1/events/x")
    assert _reaches("/p/", "Prefix", "/p/tok") and not _reaches("/p/", "Prefix", "/pa")


def _policies() -> dict[str, dict]:
    _, docs = render("production")
    return {
        d["metadata"]["labels"]["app.kubernetes.io/component"]: d["spec"] for d in docs if d["kind"] == "NetworkPolicy"
    }


def _egress_ports(spec: dict) -> set[int]:
    return {p["port"] for rule in spec["egress"] for p in rule.get("ports", [])}


def test_network_policies_deny_by_default_and_keep_the_billing_bridge_away_from_the_database():
    policies = _policies()
    wanted = values("production")["networkPolicy"]
    assert set(policies) == {"orchestrator", "notifier", "survey", "billing-bridge", "migrate"}
    for component, spec in policies.items():
        assert spec["policyTypes"] == ["Ingress", "Egress"], component
        assert spec["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == component
    postgres = wanted["postgres"]["port"]
    for component in ("orchestrator", "notifier", "survey", "migrate"):
        assert postgres in _egress_ports(policies[component]), f"{component} needs its database"
    assert postgres not in _egress_ports(policies["billing-bridge"]), "the stateless edge never reaches PostgreSQL"
    assert 443 not in _egress_ports(policies["orchestrator"]) | _egress_ports(policies["survey"]), "no internet"
    assert 443 in _egress_ports(policies["notifier"]) and 443 in _egress_ports(policies["billing-bridge"])
    assert policies["migrate"]["ingress"] == []
    kafka = set(wanted["kafka"]["ports"])
    assert not kafka & _egress_ports(policies["migrate"]), "the migration job needs no Kafka"


def test_only_support_staff_and_monitoring_reach_the_orchestrator_and_the_public_services_come_through_the_ingress():
    policies = _policies()
    wanted = values("production")["networkPolicy"]
    (orchestrator_in,) = policies["orchestrator"]["ingress"]
    assert orchestrator_in["from"] == wanted["monitoringFrom"] + wanted["supportFrom"]
    for component in ("survey", "billing-bridge"):
        (rule,) = policies[component]["ingress"]
        for peer in wanted["ingressFrom"]:
            assert peer in rule["from"], component
    survey_from = policies["survey"]["ingress"][0]["from"]
    assert {
        "podSelector": {
            "matchLabels": {"app.kubernetes.io/instance": "offboarding", "app.kubernetes.io/component": "orchestrator"}
        }
    } in survey_from
    assert not [p for p in policies["billing-bridge"]["ingress"][0]["from"] if "podSelector" in p]
    feedback = [r for r in policies["notifier"]["ingress"] if "from" not in r]
    assert feedback == [
        {"ports": [{"port": values("production")["services"]["notifier"]["feedbackPort"], "protocol": "TCP"}]}
    ]


def _leaf_keys(tree: dict, prefix: str = "") -> list[str]:
    keys = []
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value and not path.startswith(("wording.", "secrets.names")):
            keys += _leaf_keys(value, path + ".")
        else:
            keys.append(path)
    return keys


def test_the_charts_readme_is_generated_from_the_values_as_they_are():
    readme = (HELM / "offboarding" / "README.md").read_text()
    assert f"<!-- values digest: {readme_digest()} -->" in readme, (
        "deploy/helm/offboarding/README.md is stale: run `make lint-deploy` and commit it"
    )
    rows = {line.split("|")[1].strip(): line for line in readme.splitlines() if line.startswith("| ")}
    defaults = yaml.safe_load((HELM / "offboarding" / "values.yaml").read_text())
    for key in _leaf_keys(defaults):
        row = next((r for k, r in rows.items() if k == key or key.startswith(k + ".")), None)
        assert row, f"values key {key} is not in the chart's README"
    undocumented = [k for k, r in rows.items() if re.search(r"\|\s*\|\s*$", r) and k not in ("Key",)]
    assert len(undocumented) < len(rows) / 4, f"mostly described: {undocumented}"


def test_the_chart_the_images_and_the_packages_share_one_version_named_in_the_changelog():
    chart = yaml.safe_load((HELM / "offboarding" / "Chart.yaml").read_text())
    versions = {"chart": chart["version"], "appVersion": chart["appVersion"]}
    versions["image.tag"] = yaml.safe_load((HELM / "offboarding" / "values.yaml").read_text())["image"]["tag"]
    for pyproject in [
        ROOT / "pyproject.toml",
        *ROOT.glob("shared/pyproject.toml"),
        *ROOT.glob("services/*/pyproject.toml"),
    ]:
        versions[str(pyproject.relative_to(ROOT))] = re.search(r'^version = "([^"]+)"', pyproject.read_text(), re.M)[1]
    assert len(set(versions.values())) == 1, versions
    (version,) = set(versions.values())
    changelog = (ROOT / "CHANGELOG.md").read_text()
    releases = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", changelog, re.M)
    assert releases and releases[0] == version, f"CHANGELOG.md's newest release is {releases[:1]}, not {version}"
