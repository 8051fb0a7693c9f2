"""Alembic glue shared by the services: each service's env.py calls `run_env`; start-up calls `upgrade_head`.

Migrations run as the owner of the schema (the migration job, `make run`); each service then runs as a role of
its own that reaches only its own tables. After every run the migrations grant that role (`database_role`,
created NOLOGIN if it does not exist yet: a login user is made a member of it) what a service does with its
tables (read, insert, update, delete, never DDL), and `readers` the one table another service may read (the
orchestrator's `journey_keys`). A service that starts with migrations already at head applies nothing and needs
no more than that role: start-up reads the version first.
"""

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

Readers = dict[str, tuple[str, ...]]  # table -> roles of other services that may SELECT it


def alembic_config(
    service_dir: Path,
    *,
    database_url: str,
    schema: str,
    role: str = "",
    readers: Readers | None = None,
    secrets: dict[str, bytes] | None = None,
) -> Config:
    """The Alembic config of the service whose folder (holding migrations/) is `service_dir`; `secrets` are the
    keys a data migration may need (read there with `migration_secret`)."""
    config = Config()
    config.set_main_option("script_location", str(service_dir / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["schema"] = schema
    config.attributes["role"] = role
    config.attributes["readers"] = readers or {}
    config.attributes["secrets"] = secrets or {}
    return config


def migration_secret(name: str) -> bytes | None:
    """A key the running migration was given by the service's start-up or `migrate` command (None by hand)."""
    return context.config.attributes.get("secrets", {}).get(name)


def upgrade_head(
    service_dir: Path,
    *,
    database_url: str,
    schema: str,
    role: str = "",
    readers: Readers | None = None,
    secrets: dict[str, bytes] | None = None,
    unless_current: bool = False,
) -> None:
    """Apply every pending migration of one service, then the grants (blocking). `unless_current` (a service's
    start-up): nothing at all when the schema is at head already, so that a service running as its own role (no
    DDL rights) starts; `migrate` applies the grants every time."""
    config = alembic_config(
        service_dir, database_url=database_url, schema=schema, role=role, readers=readers, secrets=secrets
    )
    if unless_current and _at_head(config, database_url, schema):
        return
    command.upgrade(config, "head")


def _at_head(config: Config, database_url: str, schema: str) -> bool:
    heads = set(ScriptDirectory.from_config(config).get_heads())

    def current(connection: Connection) -> set[str]:
        migration = MigrationContext.configure(connection, opts={"version_table_schema": schema})
        return set(migration.get_current_heads())

    async def read() -> set[str]:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(current)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(read()) == heads
    except Exception:  # no schema or version table yet, or no right to read it: let the upgrade say why
        return False


def run_env(target_metadata: MetaData) -> None:
    """Body of a service's migrations/env.py: online migrations into the configured schema, then the grants."""
    config = context.config
    schema, role, readers = config.attributes["schema"], config.attributes["role"], config.attributes["readers"]
    url = config.get_main_option("sqlalchemy.url")

    def migrate(connection: Connection) -> None:
        connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        connection.execute(text(f'SET search_path TO "{schema}", public'))
        connection.commit()
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            version_table_schema=schema,
            include_schemas=False,
            transaction_per_migration=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        if role:
            grant(connection, schema, role, readers)
            connection.commit()

    async def run() -> None:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                await connection.run_sync(migrate)
        finally:
            await engine.dispose()

    asyncio.run(run())


def grant(connection: Connection, schema: str, role: str, readers: Readers) -> None:
    """The service's role: its own tables' rows, nothing else; each reader role: SELECT on its one table."""
    for name in (role, *(r for roles in readers.values() for r in roles)):
        ensure_role(connection, name)
    s = f'"{schema}"'
    connection.execute(text(f'GRANT USAGE ON SCHEMA {s} TO "{role}"'))
    connection.execute(text(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {s} TO "{role}"'))
    connection.execute(text(f'REVOKE INSERT, UPDATE, DELETE ON {s}.alembic_version FROM "{role}"'))
    connection.execute(text(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {s} TO "{role}"'))
    for table, roles in readers.items():
        for reader in roles:
            connection.execute(text(f'GRANT USAGE ON SCHEMA {s} TO "{reader}"'))
            connection.execute(text(f'GRANT SELECT ON {s}."{table}" TO "{reader}"'))


def ensure_role(connection: Connection, name: str) -> None:
    """A NOLOGIN role of this name, unless one exists (two services migrating at once may both try)."""
    connection.execute(
        text(
            f"""DO $$ BEGIN CREATE ROLE "{name}" NOLOGIN;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"""
        )
    )
