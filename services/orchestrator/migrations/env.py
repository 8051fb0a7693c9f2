"""Alembic environment of the orchestrator: migrations run in its own schema (see shared.db.migrations)."""

from orchestrator.adapters.tables import metadata
from shared.db.migrations import run_env

run_env(metadata)
