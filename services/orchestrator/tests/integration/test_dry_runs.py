"""POST /v1/dry-runs over journeys the real intake recorded: a candidate version replayed over them, against
what ran; invalid candidates and windows are refused; nothing is sent. (The counts over thousands of generated
journeys, computed independently: tests/unit/test_dry_run.py.)"""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from orchestrator.tools.templates import read_templates

from .conftest import running, step_statuses
from .test_api import started

pytestmark = pytest.mark.integration
NOWHERE = "http://127.0.0.1:9"  # no notifier: the renders are reported as not done
REASON = {"reason": "data-subject request"}


@pytest.fixture
async def orchestrator(settings_for):
    from orchestrator.bootstrap import bootstrap

    async with running(bootstrap(settings_for(notifier_url=NOWHERE))) as runtime:
        yield runtime


def without_thanks(text: str) -> str:
    """b2c-voluntary version 2: the shipped one without its thank-you step."""
    start = text.index("  - name: thanks")
    end = text.index("  - name:", start + 1)
    return (text[:start] + text[end:]).replace("version: 1", "version: 2")


async def test_a_candidate_replayed_over_recorded_journeys(orchestrator, billing, api):
    b2c = await started(orchestrator, billing, "sub_dry_1", "sub_dry_2", "sub_dry_3")
    await started(orchestrator, billing, "sub_dry_4", segment="b2b")
    await started(orchestrator, billing, "sub_dry_5", initiated_by="payment_failure")
    shipped = read_templates(orchestrator.settings.templates_dir)
    candidate = {"b2c-voluntary.v2.yaml": without_thanks(shipped["b2c-voluntary.v1.yaml"])}
    now = datetime.now(UTC)
    window = {"from": (now - timedelta(hours=1)).isoformat(), "to": (now + timedelta(hours=1)).isoformat()}
    async with api("operator-token") as client:
        erased = await client.post(f"/v1/journeys/{b2c[0].id}/erase", json=REASON)
        answer = await client.post("/v1/dry-runs", json={"files": candidate, **window})
        broken = await client.post(
            "/v1/dry-runs", json={"files": {"b2c-voluntary.v2.yaml": "steps: [", **{}}, **window}
        )
        orphaned = await client.post("/v1/dry-runs", json={"files": {"involuntary.v1.yaml": None}, **window})
        backwards = await client.post("/v1/dry-runs", json={"files": {}, "from": window["to"], "to": window["from"]})
        earlier = await client.post(
            "/v1/dry-runs", json={"files": {}, "from": "2020-01-01T00:00:00Z", "to": "2020-02-01T00:00:00Z"}
        )
    async with api("viewer-token") as client:
        viewer = await client.post("/v1/dry-runs", json={"files": candidate, **window})
    assert erased.status_code == 200, erased.text
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["journeys"] == 5 and report["erased"] == 1
    assert report["templates"] == {"b2c-voluntary v2": 3, "b2b-voluntary v1": 1, "involuntary v1": 1}
    assert (
        report["messages"]["cancellation_confirmation"] == 4 and report["messages"]["payment_failed_cancellation"] == 1
    )
    assert report["messages"]["thank_you"] == 1  # the b2b journey's; the b2c candidate has no thanks step
    ran = [await step_statuses(orchestrator, journey.id) for journey in b2c[1:]]
    assert all(statuses["confirmation"] in ("in_progress", "succeeded") for statuses in ran)
    assert report["steps"]["added"] == {}  # the b2c journeys' other steps are still to come or ran alike
    assert report["nothing"] == 0
    assert report["problems"] == ["the messages were not rendered: the notifier did not answer"]
    assert broken.status_code == 422 and "b2c-voluntary.v2.yaml:1: not valid YAML" in broken.json()["error"]["message"]
    assert orphaned.status_code == 422 and "names template 'involuntary', which does not exist" in orphaned.text
    assert backwards.status_code == 422 and viewer.status_code == 403
    assert earlier.status_code == 200 and earlier.json()["journeys"] == 0


async def test_the_dry_run_command_reads_the_services_database(orchestrator, billing, monkeypatch, capsys, tmp_path):
    import json

    from orchestrator.tools.templates import main

    await started(orchestrator, billing, "sub_dry_cli", segment="b2b")
    for name, text in read_templates(orchestrator.settings.templates_dir).items():
        (tmp_path / name).write_text(text)
    settings = orchestrator.settings
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ORCHESTRATOR_DATABASE_SCHEMA", settings.database_schema)
    monkeypatch.setenv("ORCHESTRATOR_NOTIFIER_URL", NOWHERE)
    now = datetime.now(UTC)
    window = ["--from", (now - timedelta(hours=1)).isoformat(), "--to", (now + timedelta(hours=1)).isoformat()]
    with pytest.raises(SystemExit) as done:
        await asyncio.to_thread(main, ["dry-run", "--templates", str(tmp_path), *window])
    # The orchestrator under test logs to the same captured stdout: the answer is the block from "{" to "}".
    lines = capsys.readouterr().out.splitlines()
    answer = json.loads("\n".join(lines[lines.index("{") : lines.index("}") + 1]))
    assert done.value.code == 0 and answer["journeys"] == 1 and answer["templates"] == {"b2b-voluntary v1": 1}
    (tmp_path / "selection.yaml").write_text("rules: []\n")
    with pytest.raises(SystemExit) as refused:
        await asyncio.to_thread(main, ["dry-run", "--templates", str(tmp_path), *window])
    assert refused.value.code == 1 and "selection.yaml" in capsys.readouterr().err
