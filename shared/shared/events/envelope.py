"""The CloudEvents 1.0 envelope over Kafka: parse structured or binary mode, build and serialize our own events."""

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shared.text import PlainId

Headers = Sequence[tuple[str, bytes]]

# Header prefix of binary content mode (CloudEvents Kafka protocol binding, section 3.2).
BINARY_PREFIX = "ce_"


class InvalidMessage(Exception):
    """A message that cannot be accepted as it is: it goes to the dead-letter topic with `reason` and `detail`."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class CloudEvent(BaseModel):
    """One CloudEvent. Extension attributes (lower-case names, e.g. `dataversion`) are kept as extra fields."""

    model_config = ConfigDict(frozen=True, extra="allow")

    specversion: Literal["1.0"]
    # The identity is stored (inbox) and shown (logs, headers): plain text only.
    id: PlainId = Field(min_length=1, max_length=256)
    source: PlainId = Field(min_length=1, max_length=1024)
    type: PlainId = Field(min_length=1, max_length=256)
    time: datetime
    datacontenttype: PlainId | None = "application/json"
    dataschema: PlainId | None = None
    subject: PlainId | None = None
    data: Any = None

    @property
    def identity(self) -> tuple[str, str]:
        """(source, id): what makes two deliveries the same event."""
        return (self.source, self.id)

    def extension(self, name: str, default: Any = None) -> Any:
        return (self.model_extra or {}).get(name, default)

    def to_json_bytes(self) -> bytes:
        """Structured content mode: the whole event as UTF-8 JSON."""
        return self.model_dump_json(exclude_none=True).encode()


def new_event(type_: str, source: str, data: Any, *, subject: str | None = None, **extensions: Any) -> CloudEvent:
    """A fresh event of ours: random id, the time now."""
    return CloudEvent(
        specversion="1.0",
        id=str(uuid.uuid4()),
        source=source,
        type=type_,
        time=datetime.now(UTC),
        subject=subject,
        data=data,
        **extensions,
    )


def parse_kafka_message(value: bytes | None, headers: Headers) -> CloudEvent:
    """Parse a Kafka record in either content mode; raises InvalidMessage with a reason code."""
    if any(key.startswith(BINARY_PREFIX) for key, _ in headers):
        return _parse_binary(value, headers)
    return _parse_structured(value)


def _decode_json(raw: bytes | None, what: str) -> Any:
    if raw is None:
        raise InvalidMessage("empty_value", f"the {what} is empty (a tombstone?)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidMessage("not_utf8", f"the {what} is not UTF-8: {exc}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidMessage("not_json", f"the {what} is not JSON: {exc.msg} at position {exc.pos}") from None
    except RecursionError:
        raise InvalidMessage("not_json", f"the {what} is nested too deeply to read") from None
    except ValueError as exc:  # e.g. a number with more digits than Python converts
        raise InvalidMessage("not_json", f"the {what} is not usable JSON: {str(exc)[:200]}") from None


def _parse_structured(value: bytes | None) -> CloudEvent:
    document = _decode_json(value, "value")
    if not isinstance(document, dict):
        raise InvalidMessage("invalid_envelope", "a structured CloudEvent must be a JSON object")
    return _validate(document)


def _parse_binary(value: bytes | None, headers: Headers) -> CloudEvent:
    attributes: dict[str, Any] = {}
    content_type = None
    for key, raw in headers:
        try:
            text = raw.decode("utf-8") if raw is not None else ""
        except UnicodeDecodeError:
            raise InvalidMessage("not_utf8", f"header {key} is not UTF-8") from None
        if key.startswith(BINARY_PREFIX):
            attributes[key.removeprefix(BINARY_PREFIX)] = text
        elif key.lower() == "content-type":
            content_type = text
    attributes.setdefault("datacontenttype", content_type or "application/json")
    if value is not None:
        ctype = attributes["datacontenttype"]
        attributes["data"] = _decode_json(value, "value") if "json" in ctype else value.decode("utf-8", "replace")
    return _validate(attributes)


def _validate(document: dict[str, Any]) -> CloudEvent:
    if document.get("specversion") not in (None, "1.0"):
        raise InvalidMessage("unsupported_specversion", f"specversion {document.get('specversion')!r} is not 1.0")
    try:
        return CloudEvent.model_validate(document)
    except ValidationError as exc:
        raise InvalidMessage("invalid_envelope", describe_validation_error(exc)) from None


def describe_validation_error(exc: ValidationError) -> str:
    """One readable line per problem, naming the field: what goes into error.detail and 4xx answers."""
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in error["loc"]) or "(root)"
        problems.append(f"{where}: {error['msg']}")
    return "; ".join(problems)
