"""The async engine and session factory, scoped to one service's schema through the search path."""

import sqlalchemy as sa
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

# Every table of a service, the shared outbox and inbox included. Each service lives in its own schema,
# chosen by the connection's search_path, so table names need no schema prefix.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def create_engine(url: str, *, schema: str, pool_size: int = 10) -> AsyncEngine:
    """An engine whose connections see `schema` first (then public)."""
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        # Exceptions and logs never carry statement parameters: they hold customers' names and addresses.
        hide_parameters=True,
        connect_args={"server_settings": {"search_path": f"{schema},public", "application_name": schema}},
    )


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def insert_rows(session: AsyncSession, statement: sa.Insert, rows: list[dict]) -> None:
    """`statement` for all `rows` in a few multi-row INSERTs (up to 1,000 rows each), where a plain executemany
    costs the server one statement per row. With RETURNING, SQLAlchemy's "insertmanyvalues" does the batching
    from one cached compiled statement (a `.values(rows)` would be compiled anew each time, which costs more
    CPU than the rows)."""
    if rows:
        await session.execute(statement.returning(*statement.table.primary_key.columns), rows)
