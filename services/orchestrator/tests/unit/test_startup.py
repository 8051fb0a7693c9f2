"""A broken template or setting stops the orchestrator at start-up with a clear message, not a traceback."""

import os
import shutil
import subprocess
import sys

from .journeys import TEMPLATES


def start_orchestrator(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "orchestrator"], env={**os.environ, **env}, capture_output=True, text=True, timeout=60
    )


def test_a_broken_template_names_file_step_and_problem(tmp_path):
    folder = tmp_path / "templates"
    shutil.copytree(TEMPLATES, folder)
    path = folder / "involuntary.v1.yaml"
    path.write_text(path.read_text().replace("offset: -P2D", "offset: -2 days"))
    result = start_orchestrator(ORCHESTRATOR_TEMPLATES_DIR=str(folder))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "involuntary.v1.yaml" in result.stderr and "step 'payment_update_reminder'" in result.stderr
    assert "ISO-8601" in result.stderr


def test_a_bad_setting_is_named():
    result = start_orchestrator(ORCHESTRATOR_RETRY_MAX_ATTEMPTS="lots")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "retry_max_attempts" in result.stderr
