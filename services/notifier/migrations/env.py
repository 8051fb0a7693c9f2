"""Alembic environment of the notifier: migrations run in its own schema (see shared.db.migrations)."""

from notifier.adapters.tables import metadata
from shared.db.migrations import run_env

run_env(metadata)
