"""Experiment insights for the people who author journeys: which experiments there are, and how each variant's
customers fared (the database counts, the domain reads)."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from orchestrator.adapters.experiment_counts import experiments_seen, variant_counts
from orchestrator.domain.experiment_reading import declared_in, describe, read_experiment
from orchestrator.domain.templates import Catalogue


@dataclass
class Experiments:
    catalogue: Catalogue
    sessions: async_sessionmaker[AsyncSession]
    clock: Callable[[], datetime]

    async def list(self) -> list[dict[str, Any]]:
        """The experiments the templates declare and those that assigned journeys, by name."""
        async with self.sessions() as session:
            seen = await experiments_seen(session)
        templates = self.catalogue.templates()
        names = {t.experiment.name for t in templates if t.experiment} | set(seen)
        listed = []
        for name in sorted(names):
            declared = declared_in(templates, name)
            latest = declared[-1].experiment if declared else None
            listed.append(
                describe(name, declared)
                | {
                    "variants": [{"name": v.name, "weight": v.weight} for v in latest.variants] if latest else [],
                    "journeys": seen.get(name, 0),
                }
            )
        return listed

    async def read(self, name: str, *, start: datetime | None, end: datetime | None) -> dict[str, Any] | None:
        """The experiment's reading over journeys started in [start, end); None if it is unknown."""
        now = self.clock()
        declared = declared_in(self.catalogue.templates(), name)
        async with self.sessions() as session:
            counts = await variant_counts(session, name, start=start, end=end, now=now)
        if not declared and not counts:
            return None
        return read_experiment(name, declared, counts) | {"from": start, "to": end, "as_of": now}
