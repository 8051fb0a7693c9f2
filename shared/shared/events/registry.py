"""Typed, versioned event data: each event type maps to a pydantic model per version, older versions are upcast.

An event says its data version in the `dataversion` extension attribute (absent means 1). A reader always
gets the newest model: upcasters turn version N's dict into version N+1's until the newest is reached.
"""

from collections.abc import Callable
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, ValidationError

from shared.events.envelope import CloudEvent, InvalidMessage, describe_validation_error

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class EventData(BaseModel):
    """Base of every event's `data`: immutable, with the type it belongs to and its version."""

    model_config = ConfigDict(frozen=True)

    event_type: ClassVar[str]
    version: ClassVar[int] = 1


class EventRegistry:
    """Which model reads which event type, and how to bring old versions up to date."""

    def __init__(self) -> None:
        self._models: dict[str, type[EventData]] = {}
        self._upcasters: dict[tuple[str, int], Upcaster] = {}

    def register(self, model: type[EventData]) -> type[EventData]:
        self._models[model.event_type] = model
        return model

    def upcaster(self, event_type: str, from_version: int) -> Callable[[Upcaster], Upcaster]:
        def decorate(function: Upcaster) -> Upcaster:
            self._upcasters[(event_type, from_version)] = function
            return function

        return decorate

    def knows(self, event_type: str) -> bool:
        return event_type in self._models

    def read(self, event: CloudEvent) -> EventData:
        """Validate `event.data` against the newest model of its type; raises InvalidMessage."""
        model = self._models.get(event.type)
        if model is None:
            raise InvalidMessage("unknown_type", f"no reader for event type {event.type!r}")
        try:
            version = int(event.extension("dataversion", 1))
        except (TypeError, ValueError):
            raise InvalidMessage("invalid_envelope", "dataversion must be a whole number") from None
        if version > model.version or version < 1:
            raise InvalidMessage("unsupported_version", f"{event.type} version {version} is not supported")
        if not isinstance(event.data, dict):
            raise InvalidMessage("invalid_data", "data must be a JSON object")
        data = event.data
        while version < model.version:
            data = self._upcasters[(event.type, version)](data)
            version += 1
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise InvalidMessage("invalid_data", describe_validation_error(exc)) from None
