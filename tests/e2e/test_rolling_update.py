"""A rolling update as Kubernetes does it, with the previous release's real code: its services run on the database
as that release left it; the new release's migrations are applied while they keep working (the chart's
pre-upgrade hook); the new release's services come up beside them in the same consumer groups (maxSurge); then the
old ones stop. Cancellations keep arriving throughout, and every one gets its journey and its confirmation once.
That old code runs on the new schema is also what makes a rollback safe (docs/upgrading.md).

The previous release's code is taken from git history (its commit in deploy/releases.tsv), so a shallow clone, which holds no
history, cannot run this test and says so."""

import io
import os
import re
import signal
import subprocess
import tarfile
from pathlib import Path

import httpx
import pytest

from shared.testing import previous_release as release_before_this_one

from .system import ROOT, SERVICES, Billing, System, check_no_duplicates_and_expected_states, converge


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True).stdout.strip()


def previous_release_code(into: Path) -> Path:
    """The previous release's shared package and services, as they were, under `into`."""
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the previous release's code comes from git history")
    if _git("rev-parse", "--is-shallow-repository") == "true":
        pytest.skip("a shallow clone holds no history: clone without --depth to run the previous release")
    _, commit = release_before_this_one(ROOT)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", commit, "shared", "services"],
        capture_output=True,
        check=True,
    )
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return into


def test_the_previous_release_is_the_changelogs_and_its_commit_is_known():
    version, commit = release_before_this_one(ROOT)
    releases = re.findall(r"^## \[(\d+\.\d+\.\d+)\]", (ROOT / "CHANGELOG.md").read_text(), re.M)
    assert releases[1] == version, f"CHANGELOG.md's release before {releases[0]} is {releases[1]}"
    assert re.fullmatch(r"[0-9a-f]{40}", commit)


async def _version(replica) -> str | None:
    async with httpx.AsyncClient(timeout=5) as client:
        return (await client.get(f"http://127.0.0.1:{replica.port}/healthz")).json().get("version")


async def _stop(replica) -> None:
    """What Kubernetes does to an old pod: SIGTERM, then wait for it to finish its batch."""
    replica.process.send_signal(signal.SIGTERM)
    await replica.process.wait()


async def test_the_previous_release_keeps_working_while_the_new_one_migrates_and_rolls_out(system: System, tmp_path):
    old = previous_release_code(tmp_path / "previous")
    packages = ["shared", *(f"services/{service}" for service in SERVICES)]
    # The old code first on the import path: its packages, its migrations, its templates' code.
    system.overrides["PYTHONPATH"] = os.pathsep.join(str(old / p) for p in packages)
    await system.migrate_all()  # the database as the previous release left it
    olds = [await system.start(service) for service in SERVICES]
    assert {await _version(r) for r in olds} == {None}, "0.1.0 answered /healthz without a version"

    async with Billing(system) as billing:
        await billing.cancel(4)
        await converge(system, billing)

        del system.overrides["PYTHONPATH"]
        await system.migrate_all()  # the new release's pre-upgrade hook, while the old services run
        await billing.cancel(4, start=4)
        await converge(system, billing)  # old code on the new schema

        news = [await system.start(service) for service in SERVICES]  # new pods beside the old ones
        current = re.search(r'^version = "(.+)"', (ROOT / "pyproject.toml").read_text(), re.M)[1]
        assert {await _version(r) for r in news} == {current}
        await billing.cancel(8, start=8)  # both versions in every consumer group
        await converge(system, billing)

        for replica in olds:
            await _stop(replica)
        await billing.cancel(4, start=16)
        journeys = await converge(system, billing)

    assert len(journeys) == 20
    check_no_duplicates_and_expected_states(system, billing, journeys)
