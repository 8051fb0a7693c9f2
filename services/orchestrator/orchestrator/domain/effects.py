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
