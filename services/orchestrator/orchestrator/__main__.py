"""`python -m orchestrator` serves; `... migrate` applies the database migrations and exits;
`... publish-sample` publishes a sample cancellation; `... redrive-dlq --topic T` re-drives dead letters;
`... templates check` checks the journey templates and their messages (the authors' tools)."""

import sys
from pathlib import Path

from orchestrator.bootstrap import bootstrap
from shared.runtime import main

TOOLS = {
    "publish-sample": "orchestrator.tools.sample_events",
    "redrive-dlq": "orchestrator.tools.redrive",
    "templates": "orchestrator.tools.templates",
}

main(bootstrap, Path(__file__).resolve().parents[1], sys.argv[1:], TOOLS)
