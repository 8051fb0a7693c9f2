"""The check every consumer of an internal topic runs before anything is handled: the record names a journey
this system knows, carries that journey's signature (shared.signing) over exactly these bytes, is not older
than a copy on the topic can be, and, for a journey whose personal data is erased, is one of the few kinds of
message still allowed then (the erasure itself, the answers that follow it).

A record that fails is not handled and leaves no inbox row (so it cannot take the place of the real message
with its id): it goes to the DLQ with one of these reasons, and is counted in `messages_rejected_total`:

- `unsigned`: no signature header, or binary content mode (whose `ce_*` headers the signature would not cover);
- `unknown_journey`: no journey id, or one that has no keys (never existed here);
- `bad_signature`: signed, but not by the journey's key over these bytes (forged, or altered on its way);
- `journey_erased`: a command that would act on a journey whose personal data is erased;
- `expired`: older than `max_age` (a copy written again after the topic's retention had deleted the first).

An exact copy of a record already handled (a replay) passes this check and is then recognised by the inbox:
it changes nothing. Any change to a copy breaks its signature.
"""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from aiokafka import ConsumerRecord
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession

from shared import signing
from shared.events.envelope import BINARY_PREFIX, CloudEvent, InvalidMessage
from shared.keyring import JourneyKeys, Keyring
from shared.logging import get_logger

log = get_logger(__name__)
REJECTED = Counter(
    "messages_rejected_total",
    "Internal messages refused before handling: unsigned, forged, expired, or for an unknown or erased journey",
    ["topic", "reason"],
)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SignedByJourney:
    """A consumer's `authenticate` hook (shared.messaging.consumer.BatchConsumer)."""

    def __init__(
        self,
        *,
        keyring_schema: str | None,
        max_age: timedelta,
        allowed_when_erased: frozenset[str],
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        """`keyring_schema`: the orchestrator's schema (None: the session's own); `allowed_when_erased`: the
        CloudEvent types still handled for an erased journey."""
        self._schema = keyring_schema
        self._max_age = max_age
        self._allowed_when_erased = allowed_when_erased
        self._clock = clock

    async def __call__(
        self, session: AsyncSession, records: list[tuple[ConsumerRecord, CloudEvent]]
    ) -> list[InvalidMessage | None]:
        """For each record, in order: None (handle it) or why it is refused. One statement for the batch."""
        journeys = [_journey_id(event) for _, event in records]
        keys = await Keyring(session, self._schema).get([j for j in journeys if j is not None])
        now = self._clock()
        verdicts = []
        for (record, event), journey_id in zip(records, journeys, strict=True):
            refusal = self._refusal(record, event, keys.get(journey_id) if journey_id else None, now)
            if refusal is not None:
                REJECTED.labels(record.topic, refusal.reason).inc()
                log.warning(
                    "message_rejected",
                    topic=record.topic,
                    partition=record.partition,
                    offset=record.offset,
                    reason=refusal.reason,
                )
            verdicts.append(refusal)
        return verdicts

    def _refusal(
        self, record: ConsumerRecord, event: CloudEvent, keys: JourneyKeys | None, now: datetime
    ) -> InvalidMessage | None:
        headers = dict(record.headers or ())
        if any(name.startswith(BINARY_PREFIX) for name in headers):
            return InvalidMessage("unsigned", "internal messages are structured CloudEvents; binary mode is refused")
        if signing.HEADER not in headers:
            return InvalidMessage("unsigned", f"no {signing.HEADER} header: not written by one of our services")
        if keys is None:
            return InvalidMessage("unknown_journey", "the message names no journey this system has keys for")
        if not signing.verify(keys.mac, record.key, record.value or b"", headers[signing.HEADER]):
            return InvalidMessage("bad_signature", "the signature does not match the journey's key and these bytes")
        if keys.erased and event.type not in self._allowed_when_erased:
            return InvalidMessage("journey_erased", f"{event.type} for a journey whose personal data is erased")
        if now - event.time > self._max_age:
            return InvalidMessage("expired", f"written at {event.time.isoformat()}, older than {self._max_age}")
        return None


def _journey_id(event: CloudEvent) -> str | None:
    data = event.data
    if isinstance(data, dict) and isinstance(data.get("journey_id"), str):
        return data["journey_id"]
    return None


def allowed_types(*types: type) -> frozenset[str]:
    """The CloudEvent types of these message classes (their `event_type`)."""
    return frozenset(t.event_type for t in types)
