"""The unit of work: one transaction in which journeys change and their effects are queued.

`commit_journey` is the one place where a journey's effects leave it: timeline notes into the timeline
table, commands and journey events into the outbox, an erasure into the outbox (without personal data)
while this service's copies of the journey's commands are deleted from the outbox.
"""

from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orchestrator.adapters.repository import JourneyRepository
from orchestrator.domain.effects import Dispatch, EraseEverywhere, JourneyEvent, Note
from orchestrator.domain.journey import Journey
from orchestrator.domain.policy import RetryPolicy
from orchestrator.domain.templates import Catalogue
from orchestrator.service_layer.messages import Topics, erase_commands, journey_event, step_command
from shared.outbox.table import add_many_to_outbox, outbox


def utc_now() -> datetime:
    return datetime.now(UTC)


class UnitOfWork:
    def __init__(
        self,
        session: AsyncSession,
        *,
        catalogue: Catalogue,
        policy: RetryPolicy,
        topics: Topics,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.session = session
        self.journeys = JourneyRepository(session)
        self.catalogue = catalogue
        self.policy = policy
        self.topics = topics
        self.clock = clock

    async def commit_journey(
        self, journey: Journey, *, new: bool = False, event_source: str = "", event_id: str = ""
    ) -> None:
        """Persist the journey and write out its effects, in the session's transaction."""
        if new:
            await self.journeys.add(journey, event_source=event_source, event_id=event_id)
        else:
            await self.journeys.save(journey)
        effects, journey.effects = journey.effects, []
        now = journey.updated_at
        await self.journeys.add_timeline(journey, [e for e in effects if isinstance(e, Note)], now)
        rows = []
        for effect in effects:
            if isinstance(effect, Dispatch):
                rows.append(step_command(journey, effect, self.topics))
            elif isinstance(effect, JourneyEvent):
                rows.append((self.topics.journey_events, journey_event(journey, effect)))
            elif isinstance(effect, EraseEverywhere):
                await self._forget_queued_commands(journey)
                rows.extend(erase_commands(journey, self.topics))
        await add_many_to_outbox(self.session, [(topic, journey.subscription_id, event) for topic, event in rows])

    async def _forget_queued_commands(self, journey: Journey) -> None:
        """Commands carry the recipient: drop this subscription's, sent or not (journey events hold no personal data)."""
        await self.session.execute(
            sa.delete(outbox).where(
                outbox.c.key == journey.subscription_id,
                outbox.c.topic.in_((self.topics.notifier_commands, self.topics.survey_commands)),
            )
        )
