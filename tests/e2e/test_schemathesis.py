"""schemathesis against each service's own OpenAPI description, every check on: no input gives a 5xx, every
answer is documented (status, content type, schema, headers), schema-valid input is accepted and invalid
input refused. The services run as processes, as `make run` starts them, with a few journeys in them.

The seed is fixed so that CI is repeatable; `SCHEMATHESIS_SEED=random` (or a number) explores further, and
`SCHEMATHESIS_EXAMPLES` sets the examples per operation (default 40: several hundred requests a service).
"""

import asyncio
import os
import re
import sys
from pathlib import Path

import pytest

from .system import Billing, converge

pytestmark = pytest.mark.integration
CONFIG = Path(__file__).with_name("schemathesis.toml")
EXAMPLES = os.environ.get("SCHEMATHESIS_EXAMPLES", "40")
SEED = os.environ.get("SCHEMATHESIS_SEED", "20261126")


async def run_schemathesis(port: int, workdir: Path) -> tuple[int, str]:
    seed = [] if SEED == "random" else ["--seed", SEED]
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("schemathesis")),
        "--config-file",
        str(CONFIG),
        "--no-color",
        "run",
        f"http://127.0.0.1:{port}/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        EXAMPLES,
        *seed,
        "--header",
        "Authorization: Bearer operator-token",
        "--generation-database",
        "none",
        "--request-timeout",
        "10",
        cwd=workdir,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await process.communicate()
    return process.returncode, output.decode(errors="replace")


async def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(full_system, tmp_path):
    async with Billing(full_system) as billing:
        await billing.cancel(4)
        await converge(full_system, billing)
    failures = {}
    for replica in full_system.replicas:
        code, output = await run_schemathesis(replica.port, tmp_path)
        counted = re.search(r"(\d+) generated, (\d+) passed", output)
        print(f"{replica.service}: {counted.group(0) if counted else output[-300:]}")
        if code != 0 or not counted or counted.group(1) != counted.group(2):
            failures[replica.service] = output[-6000:]
    assert not failures, "\n\n".join(f"== {service}\n{output}" for service, output in failures.items())
    logs = "".join(r.log.read_text(errors="replace") for r in full_system.replicas)
    assert "Exception in ASGI application" not in logs, "a request reached an unhandled exception"
