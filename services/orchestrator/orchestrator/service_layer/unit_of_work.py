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
from shared.keyring import Keyring
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
        self.keyring = Keyring(session)
        self.catalogue = catalogue
        self.policy = policy
        self.topics = topics
        self.clock = clock

    async def commit_journey(
        self, journey: Journey, *, new: bool = False, event_source: str = "", event_id: str = ""
    ) -> None:
        """Persist one journey and write out its effects, in the session's transaction."""
        if new:
            await self.commit_journeys(new=[(journey, event_source, event_id)])
        else:
            await self.commit_journeys(changed=[journey])

    async def commit_journeys(self, *, new: list[tuple[Journey, str, str]] = (), changed: list[Journey] = ()) -> None:
        """The same for many journeys at once: a few statements for the whole batch, not a few per journey."""
        await self.journeys.add_many(list(new))
        await self.journeys.save_many(list(changed))
        everything = [journey for journey, _, _ in new] + list(changed)
        keys = await self._keys([journey.id for journey, _, _ in new], changed)
        notes, rows = [], []
        for journey in everything:
            effects, journey.effects = journey.effects, []
            for effect in effects:
                if isinstance(effect, Note):
                    notes.append((journey, effect))
                elif isinstance(effect, Dispatch):
                    rows.append((*step_command(journey, effect, self.topics, key=keys[str(journey.id)]), journey))
                elif isinstance(effect, JourneyEvent):
                    rows.append((self.topics.journey_events, journey_event(journey, effect), journey))
                elif isinstance(effect, EraseEverywhere):
                    await self._forget_queued_commands(journey)
                    await self.keyring.forget(journey.id)
                    rows.extend((*pair, journey) for pair in erase_commands(journey, self.topics))
        await self.journeys.add_timeline(notes)
        await add_many_to_outbox(self.session, [(topic, j.subscription_id, event) for topic, event, j in rows])

    async def _keys(self, new: list, changed: list[Journey]) -> dict[str, bytes]:
        """New journeys get their key; changed ones that dispatch a step read theirs (one statement each). A
        journey from before keys existed gets one now (an erased journey dispatches nothing that needs it)."""
        keys = await self.keyring.create(new)
        dispatching = [j.id for j in changed if any(isinstance(e, Dispatch) for e in j.effects)]
        keys |= await self.keyring.keys([str(i) for i in dispatching])
        return keys | await self.keyring.create([i for i in dispatching if str(i) not in keys])

    async def _forget_queued_commands(self, journey: Journey) -> None:
        """Commands carry the recipient: drop this subscription's, sent or not (journey events hold no personal data)."""
        await self.session.execute(
            sa.delete(outbox).where(
                outbox.c.key == journey.subscription_id,
                outbox.c.topic.in_((self.topics.notifier_commands, self.topics.survey_commands)),
            )
        )
