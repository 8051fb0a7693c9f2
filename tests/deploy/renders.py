"""The Helm chart as `make lint-deploy` rendered it (deploy/helm/rendered/), and the values each render used."""

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
HELM = ROOT / "deploy" / "helm"
sys.path.insert(0, str(HELM))
from digest import digest, readme_digest  # noqa: E402,F401 (deploy/helm/ is not a package)

VARIANTS = {
    "default": None,
    "production": "values-production.yaml",
    "inline-secrets": "values-inline-secrets.yaml",
    "wording": "values-wording.yaml",  # the shipped wording as your own (python -m orchestrator templates values)
}
NOT_IN_THE_SCHEMAS = {"ServiceMonitor", "PrometheusRule"}  # CRDs of the Prometheus Operator: checked by hand


def render(variant: str) -> tuple[str, list[dict]]:
    text = (HELM / "rendered" / f"{variant}.yaml").read_text()
    return text, [doc for doc in yaml.safe_load_all(text) if doc]


def values(variant: str) -> dict:
    defaults = yaml.safe_load((HELM / "offboarding" / "values.yaml").read_text())
    extra = VARIANTS[variant]
    return _merge(defaults, yaml.safe_load((HELM / extra).read_text()) if extra else {})


def _merge(base: dict, over: dict) -> dict:
    merged = dict(base)
    for key, value in over.items():
        merged[key] = _merge(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return merged
