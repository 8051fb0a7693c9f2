"""Traces across every hop, with OpenTelemetry: off unless the standard OTEL_* variables ask for them.

On (`OTEL_TRACES_EXPORTER` other than `none`, or an `OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT`; never with
`OTEL_SDK_DISABLED=true`), a service sends its spans over OTLP/HTTP (or prints them: `console`), and the
maintained instrumentations trace its HTTP app (FastAPI), its SQL (SQLAlchemy), its Kafka clients (aiokafka:
the W3C `traceparent` header on every record sent, a span per record received) and its calls to the other
services (httpx). What no instrumentation can see is done here:

- A message's handling: the consumer starts a span per message, a child of the context the message came with
  (its `traceparent` header, or the CloudEvents distributed-tracing extension of a billing event), and keeps
  it, by Kafka key, for the transaction.
- The outbox: a row written in that transaction stores the context of the message with its key (commands,
  results and journey events are all keyed by subscription id), else the current span's; the relay sends
  the row inside that context, so the record carries it on.
- Work that waits in a table (the notifier's send queue, the orchestrator's timers) stores the context on
  its row and continues it when it runs.

No personal data goes into a span: SQL has placeholders, not values; URLs are written as their route, with no
query string (an email search, a survey or unsubscribe token stay out); Kafka spans carry the subscription id.
"""

import contextlib
import contextvars
import os
from collections.abc import Iterator, Mapping
from typing import Any

from opentelemetry import context, trace
from opentelemetry.trace import Link, Span, SpanKind

TRACE_HEADERS = ("traceparent", "tracestate")
# Kafka key -> the span of the message being handled with that key, for the transaction's outbox rows.
_by_key: contextvars.ContextVar[Mapping[str, Span] | None] = contextvars.ContextVar("trace_by_key", default=None)

tracer = trace.get_tracer("offboarding")


def enabled() -> bool:
    """Whether the OTEL_* variables ask for traces (read once per process, at configure time)."""
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    exporter = os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if exporter == "none":
        return False
    return bool(
        exporter
        or os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def is_recording() -> bool:
    """A real tracer provider is set (`configure` ran with traces on)."""
    return _PROVIDER[0] is not None


_PROVIDER: list[Any] = [None]  # the SDK's TracerProvider once `tracing_setup.configure` ran with traces on


def configure(service: str) -> bool:
    """Once per process: traces on if the OTEL_* variables ask (the SDK is loaded only then)."""
    if is_recording() or not enabled():
        return is_recording()
    from shared import tracing_setup

    _PROVIDER[0] = tracing_setup.configure(service)
    return True


def instrument(*, engine, app) -> None:
    """The service's own SQL and HTTP app (nothing without traces)."""
    if is_recording():
        from shared import tracing_setup

        tracing_setup.instrument(_PROVIDER[0], engine=engine, app=app)


def flush() -> None:
    if is_recording():
        _PROVIDER[0].force_flush(timeout_millis=5000)


def add_trace_ids(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: the current trace and span ids on the log line (with traces on), to go from a log
    line to its trace."""
    if is_recording():
        current = trace.get_current_span().get_span_context()
        if current.is_valid:
            event_dict.setdefault("trace_id", format(current.trace_id, "032x"))
            event_dict.setdefault("span_id", format(current.span_id, "016x"))
    return event_dict


def headers_for(key: str | None) -> list[list[str]]:
    """The trace headers for an outbox row with this Kafka key: the context of the message handled with the
    same key, else the current one. Empty when nothing is traced."""
    span = (_by_key.get() or {}).get(key) if key is not None else None
    carrier: dict[str, str] = {}
    _propagate().inject(carrier, context=trace.set_span_in_context(span) if span else None)
    return [[name, carrier[name]] for name in TRACE_HEADERS if name in carrier]


def context_from(headers: list | tuple | None, extensions: Mapping | None = None) -> context.Context:
    """The context a record or row carries: its `traceparent` header, else a CloudEvent's `traceparent`
    extension (structured mode, or `ce_traceparent` in binary mode)."""
    carrier = {}
    for name, value in headers or ():
        if name in TRACE_HEADERS and value is not None:
            carrier[name] = value.decode("latin-1") if isinstance(value, bytes) else str(value)
    if "traceparent" not in carrier and extensions:
        carrier |= {n: str(extensions[n]) for n in TRACE_HEADERS if isinstance(extensions.get(n), str)}
    return _propagate().extract(carrier)


def traceparent_for(key: str | None) -> str | None:
    """The `traceparent` to store on a row whose work continues later (see `headers_for`)."""
    return dict(headers_for(key)).get("traceparent")


def without_trace_headers(headers: list) -> list:
    return [pair for pair in headers if pair[0] not in TRACE_HEADERS]


@contextlib.contextmanager
def within(current: context.Context) -> Iterator[None]:
    """Make `current` the context inside the block."""
    token = context.attach(current)
    try:
        yield
    finally:
        context.detach(token)


@contextlib.contextmanager
def continued(traceparent: str | None) -> Iterator[None]:
    """Make a stored `traceparent` the current context (no-op without one)."""
    if not traceparent:
        yield
        return
    with within(_propagate().extract({"traceparent": traceparent})):
        yield


@contextlib.contextmanager
def span(
    name: str,
    *,
    traceparent: str | None = None,
    kind: SpanKind = SpanKind.INTERNAL,
    attributes: Mapping[str, Any] | None = None,
) -> Iterator[Span | None]:
    """A span of our own, current inside the block (a child of a stored `traceparent` if given); yields None
    without traces."""
    if not is_recording():
        yield None
        return
    with continued(traceparent), tracer.start_as_current_span(name, kind=kind, attributes=attributes) as current:
        yield current


@contextlib.contextmanager
def keyed(spans: Mapping[str, Span]) -> Iterator[None]:
    """Outbox rows written inside the block carry the span of their Kafka key."""
    token = _by_key.set(spans)
    try:
        yield
    finally:
        _by_key.reset(token)


def message(record: Any, event: Any, key: str | None, group: str) -> tuple:
    """What `handling` needs of a consumed record and its CloudEvent: its key, span name, parent context and
    attributes (ids and types, no content)."""
    attributes = {
        "messaging.system": "kafka",
        "messaging.destination.name": record.topic,
        "messaging.kafka.destination.partition": record.partition,
        "messaging.kafka.message.offset": record.offset,
        "messaging.consumer.group.name": group,
        "messaging.message.id": event.id,
        "cloudevents.event_type": event.type,
        "cloudevents.event_source": event.source,
    }
    return key, f"process {event.type}", context_from(record.headers, event.model_extra), attributes


def timers(due: Any) -> list[tuple]:
    """What `handling` needs of (key, stored traceparent) pairs whose time came (the orchestrator's timers)."""
    return [(key, "run due steps", _propagate().extract({"traceparent": tp} if tp else {}), {}) for key, tp in due]


@contextlib.contextmanager
def handling(
    messages: list[tuple[str | None, str, context.Context, dict]], *, kind: SpanKind = SpanKind.CONSUMER
) -> Iterator[None]:
    """A batch being handled in one transaction: a span per message (child of the context it came with, with
    its attributes), kept by Kafka key for the outbox rows the transaction writes; and, for several, a batch
    span linking them, current for the transaction's own work (its SQL). One message: its span is current.
    `kind` is CONSUMER for messages from Kafka, INTERNAL for work the process found itself (due timers)."""
    if not messages or not is_recording():
        yield
        return
    started = [
        (key, tracer.start_span(name, context=parent, kind=kind, attributes=attributes))
        for key, name, parent, attributes in messages
    ]
    batch = None
    if len(started) > 1:
        batch = tracer.start_span(
            "process batch",
            kind=kind,
            links=[Link(s.get_span_context()) for _, s in started],
            attributes={"messaging.batch.message_count": len(started)},
        )
    try:
        with keyed(dict(started)), trace.use_span(batch or started[0][1], end_on_exit=False, record_exception=True):
            yield
    finally:
        for one in [batch] if batch else []:
            one.end()
        for _, one in started:
            one.end()


def _propagate():
    """The configured propagators (W3C trace context by default), loaded when first needed: only with traces on."""
    from opentelemetry import propagate

    return propagate
