"""`python -m survey` serves; `python -m survey migrate` applies the database migrations and exits."""

import sys
from pathlib import Path

from shared.runtime import main
from survey.bootstrap import bootstrap

main(bootstrap, Path(__file__).resolve().parents[1], sys.argv[1:])
