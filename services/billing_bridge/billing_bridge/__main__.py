"""`python -m billing_bridge` serves the webhooks; `... backfill <provider> --since DATE` publishes the
cancellations a provider knows of since then (those already handled change nothing); `... publish-sample --via
<provider>` sends a signed sample webhook to a running bridge; `... standin` serves the local stand-in for the
providers' APIs (billing_bridge/tools/standin.py)."""

import sys
from pathlib import Path

from billing_bridge.bootstrap import bootstrap
from shared.runtime import main

TOOLS = {
    "backfill": "billing_bridge.entrypoints.backfill",
    "publish-sample": "billing_bridge.tools.sample",
    "standin": "billing_bridge.tools.standin",
}

main(bootstrap, Path(__file__).resolve().parents[1], sys.argv[1:], TOOLS)
