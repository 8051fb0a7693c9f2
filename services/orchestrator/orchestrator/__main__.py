"""`python -m orchestrator` serves; `python -m orchestrator migrate` applies the database migrations and exits."""

import sys
from pathlib import Path

from orchestrator.bootstrap import bootstrap
from orchestrator.entrypoints.http import create_app
from shared.runtime import main

main(bootstrap, create_app, Path(__file__).resolve().parents[1], sys.argv[1:])
