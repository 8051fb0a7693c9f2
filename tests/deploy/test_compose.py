"""docker-compose.yml, checked without a Docker engine: valid per the Compose specification's JSON schema,
every long-running service health-checked and started only after what it needs is healthy, every
environment variable documented in the README."""

import copy
import re
import subprocess
import zipfile
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".local" / "cache"
# The Compose specification's schema as shipped inside the docker-compose 1.29.2 wheel on PyPI (no
# newer Python package carries it); fetched once into .local/cache.
SCHEMA_WHEEL = "docker-compose==1.29.2"
SCHEMA_MEMBER = "compose/config/compose_spec.json"


@pytest.fixture(scope="module")
def compose_schema() -> dict:
    cached = CACHE / "compose_spec.json"
    if not cached.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [*_pip(), "download", "--quiet", "--no-deps", "--only-binary=:all:", SCHEMA_WHEEL, "-d", str(CACHE)],
            check=True,
        )
        wheel = next(CACHE.glob("docker_compose-1.29.2-*.whl"))
        cached.write_bytes(zipfile.ZipFile(wheel).read(SCHEMA_MEMBER))
    return yaml.safe_load(cached.read_text())


def _pip() -> list[str]:
    """uv's virtualenv has no pip; the tools venv `make` creates (or the machine's python3) does."""
    tools = ROOT / ".local" / "tools" / "bin" / "python"
    return [str(tools) if tools.exists() else "python3", "-m", "pip"]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def one_shot(service: dict) -> bool:
    """A job that runs to completion (migrations); others wait for it with service_completed_successfully."""
    return service.get("restart") == "no"


def test_the_file_is_valid_per_the_compose_specification(compose, compose_schema):
    jsonschema.Draft201909Validator(compose_schema).validate(compose)


def test_the_schema_check_would_catch_a_mistake(compose, compose_schema):
    broken = copy.deepcopy(compose)
    broken["services"]["orchestrator"]["healthcheck"]["intervall"] = "5s"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft201909Validator(compose_schema).validate(broken)


def test_every_long_running_service_has_a_health_check(compose):
    for name, service in compose["services"].items():
        if one_shot(service):
            continue
        assert service.get("healthcheck", {}).get("test"), f"{name} has no health check"


def test_services_start_after_what_they_need_is_healthy(compose):
    services = compose["services"]
    for name in ("orchestrator", "notifier", "survey"):
        depends = services[name]["depends_on"]
        assert {"kafka", "postgres", "migrate"} <= set(depends), name
        for dependency, rule in depends.items():
            expected = "service_completed_successfully" if one_shot(services[dependency]) else "service_healthy"
            assert rule["condition"] == expected, f"{name} -> {dependency}"
    assert services["kafka"]["image"].startswith("apache/kafka:4.1")


def test_every_environment_variable_is_documented_in_the_readme(compose):
    readme = (ROOT / "README.md").read_text()
    first_cells = [line.split("|")[1] for line in readme.splitlines() if line.startswith("| `")]
    documented = {name for cell in first_cells for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", cell)}
    used = set()
    for name, service in compose["services"].items():
        if name in ("kafka", "postgres", "mailpit"):
            continue  # the images' own settings, documented by those projects
        used |= set(service.get("environment", {}))
    used |= set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", (ROOT / "docker-compose.yml").read_text()))
    assert used, "no variables found: the check would pass vacuously"
    assert used <= documented, f"not in the README's configuration table: {sorted(used - documented)}"
