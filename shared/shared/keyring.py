"""The journey keys of shared.sealing, in the orchestrator's `journey_keys` table: the orchestrator creates a
journey's key when the journey starts and deletes it when the journey's personal data is erased; the notifier
reads keys to open the recipients of its send commands. Every call runs in the caller's transaction."""

import re
import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from shared.sealing import new_key

SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class Keyring:
    def __init__(self, session: AsyncSession, schema: str | None = None) -> None:
        """`schema`: where the table is (the orchestrator's schema); None: the session's own search path."""
        if schema is not None and not SCHEMA_NAME.match(schema):
            raise ValueError(f"not a schema name: {schema!r}")
        self._session = session
        self._table = f"{schema}.journey_keys" if schema else "journey_keys"

    async def create(self, journey_ids: list[uuid.UUID]) -> dict[str, bytes]:
        """A fresh key for each of these journeys (new ones: none has a key yet)."""
        keys = {str(i): new_key() for i in journey_ids}
        if keys:
            await self._session.execute(
                sa.text(
                    f"INSERT INTO {self._table} (journey_id, key) "  # noqa: S608 (a checked schema name)
                    "SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:keys AS bytea[])) ON CONFLICT DO NOTHING"
                ),
                {"ids": list(keys), "keys": list(keys.values())},
            )
        return keys

    async def keys(self, journey_ids: list[str]) -> dict[str, bytes]:
        """The keys these journeys still have (an erased journey has none)."""
        if not journey_ids:
            return {}
        rows = await self._session.execute(
            sa.text(
                f"SELECT journey_id, key FROM {self._table} "  # noqa: S608 (a checked schema name)
                "WHERE journey_id = ANY(CAST(:ids AS uuid[]))"
            ),
            {"ids": sorted(set(journey_ids))},
        )
        return {str(journey_id): bytes(key) for journey_id, key in rows}

    async def forget(self, journey_id: uuid.UUID) -> None:
        """Delete the journey's key: whatever was sealed with it is unreadable from now on, wherever it is."""
        await self._session.execute(
            sa.text(f"DELETE FROM {self._table} WHERE journey_id = :id"),  # noqa: S608 (a checked schema name)
            {"id": journey_id},
        )
