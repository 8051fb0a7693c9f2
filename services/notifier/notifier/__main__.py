"""`python -m notifier` serves; `python -m notifier migrate` applies the database migrations and exits."""

import sys
from pathlib import Path

from notifier.bootstrap import bootstrap
from shared.runtime import main

main(bootstrap, Path(__file__).resolve().parents[1], sys.argv[1:])
