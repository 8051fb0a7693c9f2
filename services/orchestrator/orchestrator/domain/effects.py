"""What a journey decides besides its own state: commands to send, events to publish, timeline notes.

The journey records these as it changes; the unit of work writes them to the outbox and the timeline
in the same transaction as the state.
"""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Dispatch:
    """Send step `step`'s command (attempt `attempt`, id `command_id`) to the service that performs it."""

    step: str
    attempt: int
    command_id: str


@dataclass(frozen=True)
class JourneyEvent:
    """A public journey event, type `offboarding.journey.<kind>`."""

    kind: str  # started, step_completed, step_failed, completed, cancelled
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Note:
    """A timeline entry. `details` never holds personal data."""

    what: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EraseEverywhere:
    """The journey's personal data is erased here; tell the other services to erase theirs."""


Effect = Dispatch | JourneyEvent | Note | EraseEverywhere


# What changes the customer's own page (docs/customer-page.md): the journey starting, stopping or ending, and an
# operator pausing or resuming it, the contact preference changing, support revoking the link. Steps running do
# not: the page reads its dates, not the steps.
PAGE_EVENTS = frozenset({"started", "completed", "cancelled"})
PAGE_NOTES = frozenset({"paused", "resumed", "marketing_consent_changed", "page_link_revoked"})


def changes_the_page(effects: list[Effect]) -> bool:
    return any(
        (isinstance(e, JourneyEvent) and e.kind in PAGE_EVENTS) or (isinstance(e, Note) and e.what in PAGE_NOTES)
        for e in effects
    )
