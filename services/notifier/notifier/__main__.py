"""`python -m notifier` serves; `python -m notifier migrate` applies the database migrations and exits."""

import sys
from pathlib import Path

from notifier.bootstrap import bootstrap
from notifier.entrypoints.http import create_app
from shared.runtime import main

main(bootstrap, create_app, Path(__file__).resolve().parents[1], sys.argv[1:])
