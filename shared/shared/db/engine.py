"""The async engine and session factory, scoped to one service's schema through the search path."""

import sqlalchemy as sa
from sqlalchemy import MetaData, event
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
    engine = create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        # The most recently used connection first: a trickle keeps reusing one or two connections, whose prepared
        # statements and type information are already there (first in, first out spreads it over all of them,
        # each preparing every statement and asking the server for its types again).
        pool_use_lifo=True,
        # Exceptions and logs never carry statement parameters: they hold customers' names and addresses.
        hide_parameters=True,
        connect_args={"server_settings": {"search_path": f"{schema},public", "application_name": schema}},
    )
    event.listen(engine.sync_engine, "checkout", _refuse_closed_connection)
    return engine


def _refuse_closed_connection(dbapi_connection, _record, _proxy) -> None:
    """In place of pool_pre_ping, which costs three round trips (BEGIN, an empty query, ROLLBACK) on every
    checkout, several per cancellation: when PostgreSQL restarts or ends a backend, the server closes the
    socket and asyncpg marks the connection closed as soon as the event loop sees it, so a local check
    catches it for free. The pool then discards the connection and opens a new one. A restart in the very
    moment of a checkout fails that one operation, which its loop retries, as it would with a ping."""
    if dbapi_connection.driver_connection.is_closed():
        raise sa.exc.DisconnectionError("PostgreSQL closed this connection")


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def single_statement_sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for work that is one statement (a claim, a read): each statement commits on its own, which saves
    the BEGIN and the COMMIT (or ROLLBACK), two of a lone statement's three round trips. Never for several
    statements that must stand or fall together."""
    return async_sessionmaker(engine.execution_options(isolation_level="AUTOCOMMIT"), expire_on_commit=False)


async def insert_rows(session: AsyncSession, statement: sa.Insert, rows: list[dict]) -> None:
    """`statement` for all `rows` in a few multi-row INSERTs (up to 1,000 rows each), where a plain executemany
    costs the server one statement per row. With RETURNING, SQLAlchemy's "insertmanyvalues" does the batching
    from one cached compiled statement (a `.values(rows)` would be compiled anew each time, which costs more
    CPU than the rows)."""
    if rows:
        await session.execute(statement.returning(*statement.table.primary_key.columns), rows)
