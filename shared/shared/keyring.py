"""The journey keys, in the orchestrator's `journey_keys` table. Each journey has two:

- its sealing key (shared.sealing), for the personal data in its commands on Kafka; deleted when the journey's
  personal data is erased, so what was sealed with it can no longer be read anywhere;
- its MAC key (shared.signing), with which every internal message about the journey is signed by the service
  that writes it and checked by the one that reads it. It stays after the erasure (it opens nothing), so that
  the erasure's own commands and the answers that follow still verify, and a journey that is erased is told
  apart from one that never existed.

The orchestrator creates both when the journey starts; the notifier and the survey service only read them
(their database roles may SELECT this one table of the orchestrator's). Every call runs in the caller's
transaction, and what one call read is kept for the next ones of the same session (`session.info`): the
consumer's signature check, the handler's opening of recipients and its signed answers read the keys once.
"""

import os
import re
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from shared.sealing import new_key

SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
MAC_KEY_BYTES = 32
CACHE = "offboarding.journey_keys"  # session.info key: (table, journey id) -> JourneyKeys, or None (no keys)

# The table as the orchestrator's migrations leave it, for tests that play the orchestrator's part.
DDL = """
CREATE TABLE {table} (
    journey_id uuid PRIMARY KEY,
    key bytea,
    mac_key bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
)
"""


@dataclass(frozen=True)
class JourneyKeys:
    """A journey's keys: `seal` is None once its personal data is erased."""

    seal: bytes | None
    mac: bytes

    @property
    def erased(self) -> bool:
        return self.seal is None


def new_mac_key() -> bytes:
    return os.urandom(MAC_KEY_BYTES)


class Keyring:
    def __init__(self, session: AsyncSession, schema: str | None = None) -> None:
        """`schema`: where the table is (the orchestrator's schema); None: the session's own search path."""
        if schema is not None and not SCHEMA_NAME.match(schema):
            raise ValueError(f"not a schema name: {schema!r}")
        self._session = session
        self._table = f"{schema}.journey_keys" if schema else "journey_keys"

    async def create(self, journey_ids: list[uuid.UUID]) -> dict[str, JourneyKeys]:
        """Fresh keys for each of these journeys (new ones: none has keys yet)."""
        keys = {str(i): JourneyKeys(new_key(), new_mac_key()) for i in journey_ids}
        self._cache().update({(self._table, i): k for i, k in keys.items()})
        if keys:
            await self._session.execute(
                sa.text(
                    f"INSERT INTO {self._table} (journey_id, key, mac_key) "  # noqa: S608 (a checked schema name)
                    "SELECT * FROM unnest(CAST(:ids AS uuid[]), CAST(:keys AS bytea[]), CAST(:macs AS bytea[])) "
                    "ON CONFLICT DO NOTHING"
                ),
                {"ids": list(keys), "keys": [k.seal for k in keys.values()], "macs": [k.mac for k in keys.values()]},
            )
        return keys

    async def get(self, journey_ids: list[str]) -> dict[str, JourneyKeys]:
        """The keys of these journeys that exist (erased ones without their sealing key); one statement."""
        canonical = {given: _canonical(given) for given in journey_ids}
        cache = self._cache()
        ids = sorted({c for c in canonical.values() if c is not None and (self._table, c) not in cache})
        if ids:
            rows = await self._session.execute(
                sa.text(
                    f"SELECT journey_id, key, mac_key FROM {self._table} "  # noqa: S608 (a checked schema name)
                    "WHERE journey_id = ANY(CAST(:ids AS uuid[]))"
                ),
                {"ids": ids},
            )
            found = {str(i): JourneyKeys(bytes(k) if k is not None else None, bytes(mac)) for i, k, mac in rows}
            cache.update({(self._table, i): found.get(i) for i in ids})
        known = {given: cache.get((self._table, c)) for given, c in canonical.items() if c is not None}
        return {given: keys for given, keys in known.items() if keys is not None}

    async def keys(self, journey_ids: list[str]) -> dict[str, bytes]:
        """The sealing keys these journeys still have (an erased journey has none)."""
        return {i: k.seal for i, k in (await self.get(journey_ids)).items() if k.seal is not None}

    async def forget(self, journey_id: uuid.UUID) -> None:
        """Delete the journey's sealing key: whatever was sealed with it is unreadable from now on, wherever it
        is. The MAC key stays: the erasure's commands are signed with it."""
        await self._session.execute(
            sa.text(f"UPDATE {self._table} SET key = NULL WHERE journey_id = :id"),  # noqa: S608 (a checked schema name)
            {"id": journey_id},
        )
        cached = self._cache().get((self._table, str(journey_id)))
        if cached is not None:
            self._cache()[(self._table, str(journey_id))] = JourneyKeys(None, cached.mac)

    def _cache(self) -> dict[tuple[str, str], JourneyKeys | None]:
        return self._session.info.setdefault(CACHE, {})


def _canonical(text: object) -> str | None:
    """The journey id as PostgreSQL prints it, or None for what is no journey id at all."""
    try:
        return str(uuid.UUID(str(text)))
    except ValueError:
        return None
