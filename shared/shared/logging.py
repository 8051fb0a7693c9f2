"""Structured JSON logging for every service, with personal data redacted and correlation ids attached."""

import logging
import re
import sys
import traceback
from collections.abc import Mapping
from typing import Any

import structlog

# Unicode-aware: an internationalised address (zqä@exämple.com) is masked whole, not from its first ASCII part.
EMAIL_PATTERN = re.compile(r"[\w.%+'-]+@[\w-]+(?:\.[\w-]+)*\.\w{2,}")
# Keys whose values are personal data whatever they hold: never logged.
PERSONAL_KEYS = frozenset(
    {
        "email",
        "name",
        "customer_name",
        "first_name",
        "last_name",
        "full_name",
        "comment",
        "company",
        "to",
        "recipient",
        "address",
        "phone",
    }
)
REDACTED = "[redacted]"


def redact(value: Any) -> Any:
    """Return `value` with e-mail addresses masked and personal keys blanked, recursively."""
    if isinstance(value, str):
        return EMAIL_PATTERN.sub("[email]", value)
    if isinstance(value, Mapping):
        return {k: REDACTED if str(k).lower() in PERSONAL_KEYS else redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [redact(v) for v in value]
    return value


def render_exception(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor in place of format_exc_info: the traceback's frames and each exception's class
    (with a message only where it cannot quote input: shared.errors.describe). A driver's message or SQL
    parameters, which may hold a customer's name or text, never reach a log line."""
    exc_info = event_dict.pop("exc_info", None)
    if exc_info is True:
        exc_info = sys.exc_info()
    exc = exc_info if isinstance(exc_info, BaseException) else (exc_info[1] if exc_info else None)
    if exc is None:
        return event_dict
    from shared.errors import describe  # here: shared.errors imports the Kafka and SQLAlchemy packages

    chain, seen = [], set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        frames = "".join(traceback.format_list(traceback.extract_tb(exc.__traceback__)))
        chain.append(f"Traceback (most recent call last):\n{frames}{describe(exc)}")
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)
    event_dict["exception"] = "\n\nwhile handling or caused by:\n\n".join(reversed(chain))
    return event_dict


def redact_personal_data(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: the last step before rendering, so nothing personal reaches a log line."""
    return redact(event_dict)


def configure_logging(service: str, level: str = "INFO", log_format: str = "auto") -> None:
    """Send structlog and standard-library logs (uvicorn, aiokafka, alembic) to stdout: JSON lines, or readable
    lines for a person at a terminal (`auto` decides by whether stdout is one). Redacted either way."""
    from shared.tracing import add_trace_ids  # here: shared.tracing loads the OpenTelemetry SDK

    shared = [
        structlog.contextvars.merge_contextvars,
        add_trace_ids,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        render_exception,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            lambda _l, _m, event: {"service": service, **event},
            redact_personal_data,
            renderer(log_format),
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("aiokafka", "kafka"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))


def renderer(log_format: str = "auto"):
    """The last processor: JSON, or structlog's console renderer (colours only on a terminal)."""
    terminal = sys.stdout.isatty()
    if log_format == "console" or (log_format == "auto" and terminal):
        return structlog.dev.ConsoleRenderer(colors=terminal, pad_event_to=28)
    return structlog.processors.JSONRenderer()


def bind_correlation(**ids: str | None) -> None:
    """Attach ids (request_id, message_id, correlation_id, journey_id...) to every log line of this task."""
    structlog.contextvars.bind_contextvars(**{k: v for k, v in ids.items() if v is not None})


def clear_correlation() -> None:
    structlog.contextvars.clear_contextvars()


get_logger = structlog.get_logger
