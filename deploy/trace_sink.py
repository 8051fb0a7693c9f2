"""Local trace sink: an OTLP/HTTP receiver (POST /v1/traces, protobuf or JSON) that appends every span it gets
to a JSON-lines file, and a reader that prints traces as trees. `make run TRACES=1` starts it and points the
services at it; `make traces` shows the newest traces. The dev stand-in for Jaeger or Tempo, and what the trace
test collects spans with.

    python deploy/trace_sink.py serve [--port 4318] [--out .local/traces/spans.jsonl]
    python deploy/trace_sink.py show [--out FILE] [--last 3 | TRACE_ID]
"""

import argparse
import contextlib
import gzip
import json
import sys
import threading
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / ".local" / "traces" / "spans.jsonl"
KINDS = {0: "unspecified", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}


def spans_of(request: ExportTraceServiceRequest) -> list[dict]:
    """Each span as a flat record: ids in hex, its service, times in Unix nanoseconds, attributes as text."""
    found = []
    for resource_spans in request.resource_spans:
        resource = {a.key: _value(a.value) for a in resource_spans.resource.attributes}
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                found.append(
                    {
                        "trace_id": span.trace_id.hex(),
                        "span_id": span.span_id.hex(),
                        "parent_span_id": span.parent_span_id.hex() or None,
                        "name": span.name,
                        "kind": KINDS.get(span.kind, str(span.kind)),
                        "service": resource.get("service.name"),
                        "scope": scope_spans.scope.name,
                        "start": span.start_time_unix_nano,
                        "end": span.end_time_unix_nano,
                        "attributes": {a.key: _value(a.value) for a in span.attributes},
                        "links": [{"trace_id": k.trace_id.hex(), "span_id": k.span_id.hex()} for k in span.links],
                        "status": span.status.code,
                    }
                )
    return found


def _value(value) -> object:
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind in ("array_value", "kvlist_value"):
        return json.dumps(MessageToDict(getattr(value, kind)))
    return getattr(value, kind)


class Receiver(BaseHTTPRequestHandler):
    out: Path
    lock = threading.Lock()

    def do_POST(self) -> None:
        if self.path.rstrip("/") != "/v1/traces":
            self.send_error(404)
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        request = ExportTraceServiceRequest()
        try:
            if "json" in (self.headers.get("Content-Type") or ""):
                from google.protobuf.json_format import Parse

                Parse(body.decode(), request)
            else:
                request.ParseFromString(body)
        except Exception:
            self.send_error(400, "not an OTLP trace export")
            return
        lines = "".join(json.dumps(s) + "\n" for s in spans_of(request))
        with self.lock, self.out.open("a", encoding="utf-8") as file:
            file.write(lines)
        reply = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *_args) -> None:  # quiet: one line per export would drown the terminal
        pass


def serve(host: str, port: int, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    Receiver.out = out
    server = ThreadingHTTPServer((host, port), Receiver)
    print(f"trace sink: OTLP/HTTP on http://{host}:{port}/v1/traces, spans to {out}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


def read_spans(out: Path) -> list[dict]:
    if not out.exists():
        return []
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]


def traces(spans: list[dict]) -> dict[str, list[dict]]:
    """Spans by trace id, each trace's spans in start order."""
    by_trace: dict[str, list[dict]] = defaultdict(list)
    for span in spans:
        by_trace[span["trace_id"]].append(span)
    return {t: sorted(s, key=lambda span: span["start"]) for t, s in by_trace.items()}


def tree(spans: list[dict]) -> list[str]:
    """One trace as indented lines: service, span name, duration; orphans (parent not received) at the top."""
    ids = {s["span_id"] for s in spans}
    children: dict[str | None, list[dict]] = defaultdict(list)
    for span in spans:
        children[span["parent_span_id"] if span["parent_span_id"] in ids else None].append(span)
    start = min(s["start"] for s in spans)
    lines: list[str] = []

    def walk(parent: str | None, depth: int) -> None:
        for span in children.get(parent, []):
            at, took = (span["start"] - start) / 1e6, (span["end"] - span["start"]) / 1e6
            lines.append(f"{at:9.1f} ms {'  ' * depth}{span['service']}: {span['name']} ({took:.1f} ms)")
            walk(span["span_id"], depth + 1)

    walk(None, 0)
    return lines


def show(out: Path, last: int, trace_id: str | None) -> None:
    found = traces(read_spans(out))
    if not found:
        print(f"no spans in {out} (run `make run TRACES=1` and publish a cancellation)")
        return
    chosen = [trace_id] if trace_id else sorted(found, key=lambda t: found[t][0]["start"])[-last:]
    for ident in chosen:
        spans = found.get(ident, [])
        services = sorted({s["service"] for s in spans})
        print(f"trace {ident}: {len(spans)} spans across {', '.join(services)}")
        print("\n".join(tree(spans)) if spans else "  (not found)")
        print()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="trace_sink.py", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("serve")
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=4318)
    run.add_argument("--out", type=Path, default=DEFAULT_OUT)
    look = commands.add_parser("show")
    look.add_argument("--out", type=Path, default=DEFAULT_OUT)
    look.add_argument("--last", type=int, default=3)
    look.add_argument("trace_id", nargs="?")
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args.host, args.port, args.out)
    else:
        show(args.out, args.last, args.trace_id)


if __name__ == "__main__":
    main(sys.argv[1:])
