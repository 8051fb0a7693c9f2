"""Least privilege in PostgreSQL: after the migrations (run as the schemas' owner), each service's own login
reaches its own tables' rows and nothing else; the notifier and the survey service may read the one table of the
orchestrator's they need (journey_keys). A leaked notifier credential cannot read journeys."""

import pytest
from sqlalchemy import exc, text
from sqlalchemy.ext.asyncio import create_async_engine

pytestmark = [pytest.mark.integration, pytest.mark.attack]


def checks(t: str) -> list[tuple[str, str, bool]]:
    """(login, statement, allowed) for the schemas of system `t`."""
    o, n, s = f'"{t}_orchestrator"', f'"{t}_notifier"', f'"{t}_survey"'
    return [
        ("notifier", f"SELECT count(*) FROM {n}.deliveries", True),
        ("notifier", f"SELECT count(*) FROM {o}.journey_keys", True),
        ("notifier", f"SELECT count(*) FROM {o}.journeys", False),
        ("notifier", f"SELECT count(*) FROM {o}.audit_log", False),
        ("notifier", f"DELETE FROM {o}.journey_keys", False),
        ("notifier", f"SELECT count(*) FROM {s}.answers", False),
        ("notifier", f"CREATE TABLE {n}.intruder (a int)", False),
        ("survey", f"SELECT count(*) FROM {s}.answers", True),
        ("survey", f"SELECT count(*) FROM {o}.journey_keys", True),
        ("survey", f"SELECT count(*) FROM {o}.journey_steps", False),
        ("survey", f"SELECT count(*) FROM {n}.deliveries", False),
        ("orchestrator", f"SELECT count(*) FROM {o}.journeys", True),
        ("orchestrator", f"UPDATE {o}.journey_keys SET key = NULL", True),
        ("orchestrator", f"SELECT count(*) FROM {n}.deliveries", False),
        ("orchestrator", f"SELECT count(*) FROM {s}.answers", False),
        ("orchestrator", f"UPDATE {o}.alembic_version SET version_num = 'x'", False),
        ("orchestrator", f"DROP TABLE {o}.journeys", False),
    ]


async def test_each_service_reaches_only_its_own_tables(system, service_logins):
    await system.migrate_all()
    outcomes = {}
    for login, statement, _ in checks(system.name):
        engine = create_async_engine(service_logins[login])
        try:
            async with engine.connect() as conn:
                await conn.execute(text(statement))
                await conn.rollback()
            outcomes[(login, statement)] = True
        except exc.ProgrammingError as error:
            assert "permission denied" in str(error) or "must be owner" in str(error), error
            outcomes[(login, statement)] = False
        finally:
            await engine.dispose()
    assert outcomes == {(login, statement): allowed for login, statement, allowed in checks(system.name)}
