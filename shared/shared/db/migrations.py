"""Alembic glue shared by the services: each service's env.py calls `run_env`; start-up calls `upgrade_head`."""

import asyncio
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine


def alembic_config(service_dir: Path, *, database_url: str, schema: str) -> Config:
    """The Alembic config of the service whose folder (holding migrations/) is `service_dir`."""
    config = Config()
    config.set_main_option("script_location", str(service_dir / "migrations"))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["schema"] = schema
    return config


def upgrade_head(service_dir: Path, *, database_url: str, schema: str) -> None:
    """Apply every pending migration of one service (blocking; run it before serving)."""
    command.upgrade(alembic_config(service_dir, database_url=database_url, schema=schema), "head")


def run_env(target_metadata: MetaData) -> None:
    """Body of a service's migrations/env.py: online migrations into the configured schema."""
    config = context.config
    schema = config.attributes["schema"]
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

    async def run() -> None:
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                await connection.run_sync(migrate)
        finally:
            await engine.dispose()

    asyncio.run(run())
