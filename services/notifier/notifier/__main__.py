"""`python -m notifier` serves; `... migrate` applies the database migrations and exits; `... dns-records`
prints the SPF, DKIM and DMARC records to publish; `... dkim-key --out PATH` writes a new DKIM key."""

import sys
from pathlib import Path

from notifier.bootstrap import bootstrap
from shared.runtime import main

TOOLS = {"dns-records": "notifier.tools.dns_records", "dkim-key": "notifier.tools.dkim_key"}

main(bootstrap, Path(__file__).resolve().parents[1], sys.argv[1:], TOOLS)
