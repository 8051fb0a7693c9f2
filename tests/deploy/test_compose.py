"""docker-compose.yml, checked without a Docker engine: valid per the Compose specification's JSON schema,
every long-running service health-checked and started only after what it needs is healthy, the broker reachable
from the containers and from the host (two listeners). That every variable it sets is a real setting:
tests/docs/test_configuration.py."""

import copy
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


def _listeners(value: str) -> dict[str, str]:
    """KAFKA_LISTENERS-style "NAME://host:port,..." as {name: "host:port"}."""
    return dict(entry.split("://", 1) for entry in value.split(","))


def test_the_broker_serves_the_containers_and_the_host_each_on_its_own_listener(compose):
    env = compose["services"]["kafka"]["environment"]
    listeners, advertised = _listeners(env["KAFKA_LISTENERS"]), _listeners(env["KAFKA_ADVERTISED_LISTENERS"])
    protocols = dict(pair.split(":") for pair in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    assert set(listeners) == {"INTERNAL", "HOST", "CONTROLLER"}
    assert set(protocols) >= set(listeners), "every listener needs a security protocol"
    assert env["KAFKA_INTER_BROKER_LISTENER_NAME"] == "INTERNAL"
    # Containers reach the broker by its service name; a producer on the host by the published loopback port.
    assert advertised["INTERNAL"] == "kafka:29092"
    assert advertised["HOST"] == "127.0.0.1:9092"
    host_port = advertised["HOST"].rsplit(":", 1)[1]
    published = compose["services"]["kafka"]["ports"]
    assert f"127.0.0.1:{host_port}:{listeners['HOST'].rsplit(':', 1)[1]}" in published
    internal_port = listeners["INTERNAL"].rsplit(":", 1)[1]
    assert not any(p.endswith(f":{internal_port}") for p in published), "the internal listener stays inside"


def test_every_service_uses_the_internal_listener(compose):
    users = {
        name: service["environment"]["KAFKA_BOOTSTRAP_SERVERS"]
        for name, service in compose["services"].items()
        if "KAFKA_BOOTSTRAP_SERVERS" in service.get("environment", {})
    }
    assert set(users) >= {"migrate", "orchestrator", "notifier", "survey", "billing_bridge"}, users
    assert set(users.values()) == {"kafka:29092"}, users
