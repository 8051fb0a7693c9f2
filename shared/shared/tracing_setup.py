"""Setting traces up, loaded only when they are on (shared.tracing decides): the SDK's tracer provider with its
exporter and sampler, the maintained instrumentations (aiokafka, httpx, SQLAlchemy, FastAPI), and what keeps
personal data and secrets out of their spans."""

import os
from typing import Any

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.aiokafka import AIOKafkaInstrumentor
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
from opentelemetry.sdk.trace.sampling import Decision, ParentBased, Sampler, SamplingResult
from opentelemetry.trace import Span, SpanKind

# Client spans of the instrumented libraries with attributes that may hold what a caller sent: written as
# their route or without their query (URLs), or left out (addresses of the people calling).
_SCRUBBED = ("http.target", "http.url", "url.path", "url.full", "url.query")
_DROPPED = ("net.peer.ip", "client.address", "net.sock.peer.addr", "http.client_ip", "http.user_agent")
_DROPPED += ("user_agent.original",)


class _NoOrphanCalls(Sampler):
    """Root spans that are a loop polling, not a hop of a cancellation, are not recorded: a client span with no
    parent (a database statement of the relay, the timers or the sender; the SQL instrumentation names its
    attributes only after this decision, so the kind decides) and the Kafka instrumentation's span of a poll
    (`<topics> receive`; each record's own receive span continues the trace the record came with). Every other
    root span is recorded; children follow their parent."""

    def should_sample(self, parent_context, trace_id, name, kind=None, attributes=None, links=None, trace_state=None):
        if kind == SpanKind.CLIENT or (kind == SpanKind.CONSUMER and name.endswith(" receive")):
            return SamplingResult(Decision.DROP, None, trace_state)
        return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes, trace_state)

    def get_description(self) -> str:
        return "NoOrphanCalls"


def configure(service: str) -> TracerProvider:
    """The tracer provider (OTLP/HTTP exporter, or the console's), set globally, and the Kafka and HTTP-client
    instrumentations. Once per process (shared.tracing.configure sees to it)."""
    name = os.environ.get("OTEL_SERVICE_NAME") or f"offboarding-{service}"
    provider = TracerProvider(
        resource=Resource.create({"service.name": name}), sampler=ParentBased(root=_NoOrphanCalls())
    )
    console = os.environ.get("OTEL_TRACES_EXPORTER", "").strip().lower() == "console"
    provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter() if console else OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    AIOKafkaInstrumentor().instrument(tracer_provider=provider)
    HTTPXClientInstrumentor().instrument(tracer_provider=provider, request_hook=_scrub_client)
    return provider


def instrument(provider: TracerProvider, *, engine, app) -> None:
    """The service's own SQL and HTTP app."""
    if engine is not None:  # a stateless service has none
        SQLAlchemyInstrumentor().instrument(engine=engine.sync_engine, tracer_provider=provider)
    if app is not None and not getattr(app, "_traced", False):
        FastAPIInstrumentor.instrument_app(
            app,
            tracer_provider=provider,
            excluded_urls="/healthz,/readyz,/metrics,/console/static",
            server_request_hook=_scrub_server,
            exclude_spans=["receive", "send"],
        )
        app._traced = True


def _scrub_server(span: Span, scope: dict) -> None:
    """An HTTP request's span: the route instead of the path and query (tokens, an email search), no caller."""
    if not span.is_recording():
        return
    present = getattr(span, "attributes", None) or {}
    route = present.get("http.route") or "(unmatched route)"
    for name in (n for n in _SCRUBBED if n in present):
        span.set_attribute(name, route if name != "url.query" else "")
    for name in (n for n in _DROPPED if n in present):
        span.set_attribute(name, "")


def _scrub_client(span: Span, request: Any) -> None:
    """A call to another service: its URL without the query."""
    if span.is_recording():
        url = request.url if hasattr(request, "url") else request[1]
        span.set_attribute("http.url", str(url).split("?", 1)[0])
        span.set_attribute("url.full", str(url).split("?", 1)[0])
