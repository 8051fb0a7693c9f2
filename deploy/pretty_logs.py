"""`make run` at a terminal: the services' JSON log lines (which go to .local/logs/ as they are) as readable lines,
through structlog's console renderer, each prefixed with the service. A line that is not JSON passes unchanged.

    python -m orchestrator | tee -a orchestrator.log | python deploy/pretty_logs.py orchestrator
"""

import json
import sys

import structlog


def main(service: str) -> None:
    render = structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty(), pad_event_to=28)
    for line in sys.stdin:
        try:
            event = json.loads(line)
        except ValueError:
            event = None
        if not isinstance(event, dict):
            print(f"[{service}] {line.rstrip()}", flush=True)
            continue
        event.pop("service", None)
        print(f"[{service}] {render(None, '', event)}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "service")
