"""The local-stack scripts fail with a clear message naming the cause, never a traceback."""

import os
import socket
import subprocess
from pathlib import Path

import pytest

from shared.testing import free_port

ROOT = Path(__file__).resolve().parents[2]
KAFKA = ROOT / "deploy" / "kafka.sh"


def path_without(tmp_path: Path, *missing: str) -> str:
    """A PATH holding every command of this machine's PATH except `missing`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for directory in os.environ["PATH"].split(os.pathsep):
        if not Path(directory).is_dir():
            continue
        for tool in Path(directory).iterdir():
            target = bin_dir / tool.name
            if tool.name not in missing and not target.exists() and os.access(tool, os.X_OK):
                target.symlink_to(tool)
    return str(bin_dir)


def run_script(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    environment = {
        **os.environ,
        "OFFBOARDING_LOCAL_DIR": str(tmp_path / "local"),
        "LOCAL_KAFKA_PORT": str(free_port()),
        "LOCAL_KAFKA_CONTROLLER_PORT": str(free_port()),
        "LOCAL_KAFKA_SASL_PORT": str(free_port()),
        **env,
    }
    result = subprocess.run([str(KAFKA), "start"], env=environment, capture_output=True, text=True, timeout=120)
    subprocess.run([str(KAFKA), "stop"], env=environment, capture_output=True, timeout=60)
    assert "Traceback" not in result.stderr
    return result


def test_missing_java_is_named(tmp_path):
    result = run_script(tmp_path, PATH=path_without(tmp_path, "java"))
    assert result.returncode != 0
    assert "Java is not installed" in result.stderr


def test_missing_maven_is_named(tmp_path):
    result = run_script(tmp_path, PATH=path_without(tmp_path, "mvn"))
    assert result.returncode != 0
    assert "Maven (mvn) is not installed" in result.stderr


def test_a_taken_port_is_named(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = run_script(tmp_path, LOCAL_KAFKA_PORT=str(port))
    assert result.returncode != 0
    assert f"port {port} (needed by Kafka) is already in use" in result.stderr
    assert "LOCAL_KAFKA_PORT" in result.stderr


@pytest.mark.integration
def test_kafka_failing_to_start_is_reported_with_its_log(tmp_path):
    jars = ROOT / ".local" / "kafka" / "libs"
    if not (jars / ".resolved").exists():
        pytest.skip("the broker jars are resolved by `make infra-up` first")
    (tmp_path / "local" / "kafka").mkdir(parents=True)
    (tmp_path / "local" / "kafka" / "libs").symlink_to(jars)
    result = run_script(tmp_path, LOCAL_KAFKA_HEAP="not-a-size")
    assert result.returncode != 0
    assert "error: formatting Kafka storage failed" in result.stderr or "Kafka exited during start-up" in result.stderr
    assert str(tmp_path / "local" / "logs") in result.stderr
