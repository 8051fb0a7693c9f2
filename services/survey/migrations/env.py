"""Alembic environment of the survey: migrations run in its own schema (see shared.db.migrations)."""

from shared.db.migrations import run_env
from survey.adapters.tables import metadata

run_env(metadata)
