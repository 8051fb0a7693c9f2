"""The unit of work: one transaction in which journeys change and their effects are queued.

`commit_journey` is the one place where a journey's effects leave it: timeline notes into the timeline
table, commands and journey events into the outbox, an erasure into the outbox (without personal data)
while this service's copies of the journey's commands are deleted from the outbox.
"""

from collections.abc import Callable
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from orchestrator.adapters.audit import AuditLog
from orchestrator.adapters.notices import NoticeLog
from orchestrator.adapters.repository import JourneyRepository
from orchestrator.domain.effects import Dispatch, EraseEverywhere, JourneyEvent, Note, changes_the_page
from orchestrator.domain.journey import Journey
from orchestrator.domain.policy import RetryPolicy
from orchestrator.domain.templates import Catalogue
from orchestrator.service_layer.messages import Topics, erase_commands, journey_event, page_update, step_command
from shared.keyring import JourneyKeys, Keyring
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
        page_base: str,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.session = session
        self.journeys = JourneyRepository(session)
        self.notices = NoticeLog(session)
        self.audit = AuditLog(session)
        self.keyring = Keyring(session)
        self.catalogue = catalogue
        self.policy = policy
        self.topics = topics
        self.page_base = page_base  # where customers open their own page (the survey service's public address)
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
            journey_keys = keys.get(str(journey.id))
            update = page_update(journey, keys=journey_keys) if changes_the_page(effects) else None
            if update is not None:
                rows.append((self.topics.survey_commands, update, journey, journey_keys))
            for effect in effects:
                if isinstance(effect, Note):
                    notes.append((journey, effect))
                elif isinstance(effect, Dispatch):
                    command = step_command(journey, effect, self.topics, keys=journey_keys, page_base=self.page_base)
                    rows.append((*command, journey, journey_keys))
                elif isinstance(effect, JourneyEvent):
                    rows.append((self.topics.journey_events, journey_event(journey, effect), journey, None))
                elif isinstance(effect, EraseEverywhere):
                    await self._forget_queued_commands(journey)
                    await self.keyring.forget(journey.id)
                    rows.extend((*pair, journey, journey_keys) for pair in erase_commands(journey, self.topics))
        await self.journeys.add_timeline(notes)
        await add_many_to_outbox(
            self.session,
            [(topic, journey.subscription_id, event) for topic, event, journey, _ in rows],
            # Commands are signed with their journey's MAC key (shared.signing); public journey events are not.
            mac_keys=[k.mac if k is not None else None for _, _, _, k in rows],
        )

    async def _keys(self, new: list, changed: list[Journey]) -> dict[str, JourneyKeys]:
        """New journeys get their keys; changed ones that send a command read theirs (one statement). A journey
        from before keys existed gets them now (an erased journey sends only its erasure, signed with the MAC
        key it keeps)."""
        keys = await self.keyring.create(new)
        sending = [
            j.id
            for j in changed
            if changes_the_page(j.effects) or any(isinstance(e, Dispatch | EraseEverywhere) for e in j.effects)
        ]
        keys |= await self.keyring.get([str(i) for i in sending])
        return keys | await self.keyring.create([i for i in sending if str(i) not in keys])

    async def _forget_queued_commands(self, journey: Journey) -> None:
        """Commands carry the recipient: drop this subscription's, sent or not (journey events hold no personal data)."""
        await self.session.execute(
            sa.delete(outbox).where(
                outbox.c.key == journey.subscription_id,
                outbox.c.topic.in_((self.topics.notifier_commands, self.topics.survey_commands)),
            )
        )
