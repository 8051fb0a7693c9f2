"""One cancellation is one connected trace across the three services, each its own process, exporting over
OTLP/HTTP to the local trace sink (deploy/trace_sink.py): from the billing system's own span (its `traceparent`
header) through the orchestrator's intake, the outbox and Kafka, the survey service, the notifier's send
(SMTP), the results back, the journey events out, and a step the timers run seconds later. No span holds personal data or a link token.
A webhook to the billing bridge continues its caller's trace (the request's `traceparent`) into the Kafka
record it publishes, and on into the orchestrator."""

import asyncio
import json
import re
import secrets
import sys

import httpx
import pytest

from billing_bridge.tools import signing
from billing_bridge.tools.samples import standard_cancellation
from orchestrator.tools.sample_events import cancellation
from shared.messaging.producer import create_producer
from shared.testing import wait_until

from .system import ROOT, free_port, mail

pytestmark = pytest.mark.integration
SINK = ROOT / "deploy" / "trace_sink.py"
BRIDGE_SECRET = "whsec_dHJhY2VkLWluLWhvdXNlLWJpbGxpbmc="  # Standard Webhooks: whsec_ and base64
sys.path.insert(0, str(SINK.parent))
import trace_sink  # noqa: E402 (deploy/ is not a package: the sink is a script)


@pytest.fixture
async def traced_system(system, tmp_path):
    port, out = free_port(), tmp_path / "spans.jsonl"
    b2c = system.templates() / "b2c-voluntary.v1.yaml"  # the thanks come from the timers, seconds later
    thanks = "message: thank_you\n    at: {anchor: start, offset: "
    b2c.write_text(b2c.read_text().replace(thanks + "PT2H}", thanks + "PT3S}"))
    sink = await asyncio.create_subprocess_exec(
        sys.executable, str(SINK), "serve", "--port", str(port), "--out", str(out), stdout=asyncio.subprocess.DEVNULL
    )
    system.overrides |= {"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{port}", "OTEL_BSP_SCHEDULE_DELAY": "100"}
    system.service_env["billing_bridge"] = {"BILLING_WEBHOOK_SECRET": BRIDGE_SECRET}
    try:
        for service in ("orchestrator", "notifier", "survey", "billing_bridge"):
            await system.start(service)
        yield system, out
    finally:
        await system.stop()  # the services flush their spans as they stop
        sink.terminate()
        await sink.wait()


async def test_one_cancellation_is_one_connected_trace_across_the_three_services(traced_system):
    system, out = traced_system
    trace_id, billing_span = secrets.token_hex(16), secrets.token_hex(8)
    sub = f"sub_{system.name}_traced"
    address, name = f"{sub}@{system.name}.example", "Ada Lovelace"
    event = cancellation(sub, email=address, consent=True)
    producer = create_producer(system.kafka, client_id="billing")
    await producer.start()
    try:
        await producer.send_and_wait(
            system.topics()["cancelled"],
            event.to_json_bytes(),
            key=sub.encode(),
            headers=[("traceparent", f"00-{trace_id}-{billing_span}-01".encode())],
        )
    finally:
        await producer.stop()

    # The customer gets the survey invitation (cancellation -> survey service -> result -> notifier), then
    # answers, and support looks the customer up by email: HTTP requests holding a token and an address.
    got: dict = {}

    async def invited_and_thanked() -> bool:
        # The answer waits for the thanks: a journey runs a due step in whatever transaction moves it on, so an
        # answer arriving first would send the thanks in the answer's own trace, not the timers'.
        got["mail"] = {m["X-Offboarding-Step"]: m for m in mail(system.maildir, address)}
        return {"exit_survey_invitation", "thanks"} <= set(got["mail"])

    await wait_until(invited_and_thanked, within=60, every=0.2)
    invitation = got["mail"]["exit_survey_invitation"]
    link = re.search(r"http://survey\.test(/s/(\S+))", invitation.get_body(("plain",)).get_content())
    survey_port = next(r.port for r in system.replicas if r.service == "survey")
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{survey_port}") as client:
        assert (await client.post(link.group(1), data={"reason": "poor_support", "score": "3"})).status_code == 200
    async with system.orchestrator_api() as api:
        assert (await api.get("/v1/journeys", params={"email": address})).json()["items"]

    def spans_of_trace():
        return trace_sink.traces(trace_sink.read_spans(out)).get(trace_id, [])

    def complete(spans) -> bool:
        names = {(s["service"], s["name"]) for s in spans}
        steps_sent = {s["attributes"].get("offboarding.step") for s in spans if s["name"] == "send email"}
        return {
            ("offboarding-orchestrator", "process subscription.cancelled"),
            ("offboarding-survey", "process offboarding.command.create_survey"),
            ("offboarding-orchestrator", "process offboarding.step.result"),
            ("offboarding-notifier", "process offboarding.command.send_message"),
            ("offboarding-orchestrator", "run due steps"),
            ("offboarding-orchestrator", f"{system.topics()['journeys']} send"),
        } <= names and {"confirmation", "exit_survey_invitation", "thanks"} <= steps_sent

    async def traced() -> bool:
        got["spans"] = spans_of_trace()
        served = {s["attributes"].get("http.route") for s in trace_sink.read_spans(out) if s["kind"] == "server"}
        return complete(got["spans"]) and {"/s/{token}", "/v1/journeys"} <= served

    await wait_until(traced, within=60, every=0.3)
    spans = got["spans"]
    ids = {s["span_id"] for s in spans}
    assert {s["service"] for s in spans} == {"offboarding-orchestrator", "offboarding-notifier", "offboarding-survey"}
    orphans = [s for s in spans if s["parent_span_id"] not in ids]
    assert {s["parent_span_id"] for s in orphans} == {billing_span}, [(s["service"], s["name"]) for s in orphans]
    assert any(s["kind"] == "client" and "db.system" in s["attributes"] for s in spans), "SQL is traced"
    assert any(s["kind"] == "producer" for s in spans) and any(s["kind"] == "consumer" for s in spans)
    assert {s["kind"] for s in spans if s["name"] == "run due steps"} == {"internal"}, "a timer consumed nothing"
    sent = [s for s in spans if s["name"] == "send email"]
    assert all(s["attributes"]["offboarding.outcome"] == "sent" for s in sent)

    # Everything any service exported: the HTTP requests are there, written as their routes, and nothing
    # personal or secret is in any span.
    everything = trace_sink.read_spans(out)
    routes = {s["attributes"].get("http.route") for s in everything if s["kind"] == "server"}
    assert {"/s/{token}", "/v1/journeys"} <= routes
    text = repr([(s["name"], s["attributes"]) for s in everything])
    for secret in (address, name, link.group(2), address.split("@")[0] + "%40"):
        assert secret not in text


async def test_a_webhook_to_the_bridge_continues_its_callers_trace_into_kafka_and_the_orchestrator(traced_system):
    system, out = traced_system
    trace_id, caller_span = secrets.token_hex(16), secrets.token_hex(8)
    sub = f"sub_{system.name}_webhook_traced"
    body = json.dumps(standard_cancellation(sub, email=f"{sub}@{system.name}.example")).encode()
    headers = signing.standard_headers(body, BRIDGE_SECRET) | {"traceparent": f"00-{trace_id}-{caller_span}-01"}
    bridge = next(r for r in system.replicas if r.service == "billing_bridge")
    async with httpx.AsyncClient(timeout=15) as client:
        answer = await client.post(f"http://127.0.0.1:{bridge.port}/v1/events", content=body, headers=headers)
    assert answer.status_code == 200, answer.text

    got: dict = {}

    async def traced() -> bool:
        got["spans"] = trace_sink.traces(trace_sink.read_spans(out)).get(trace_id, [])
        names = {(s["service"], s["kind"], s["name"]) for s in got["spans"]}
        return ("offboarding-orchestrator", "consumer", "process subscription.cancelled") in names

    await wait_until(traced, within=60, every=0.3)
    spans = got["spans"]
    by_id = {s["span_id"]: s for s in spans}
    server = next(s for s in spans if s["service"] == "offboarding-billing_bridge" and s["kind"] == "server")
    assert server["parent_span_id"] == caller_span and server["attributes"]["http.route"] == "/v1/events"
    sent = next(s for s in spans if s["service"] == "offboarding-billing_bridge" and s["kind"] == "producer")
    intake = next(s for s in spans if s["name"] == "process subscription.cancelled")
    chain = [intake]
    while chain[-1]["parent_span_id"] in by_id:
        chain.append(by_id[chain[-1]["parent_span_id"]])
    assert sent in chain and server in chain, "the orchestrator's intake descends from the webhook's request"
    assert f"{sub}@" not in repr([(s["name"], s["attributes"]) for s in spans])
