"""Structured JSON logging for every service, with personal data redacted and correlation ids attached."""

import logging
import re
import sys
from collections.abc import Mapping
from typing import Any

import structlog

EMAIL_PATTERN = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
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


def redact_personal_data(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: the last step before rendering, so nothing personal reaches a log line."""
    return redact(event_dict)


def configure_logging(service: str, level: str = "INFO") -> None:
    """Send structlog and standard-library logs (uvicorn, aiokafka, alembic) as JSON lines to stdout."""
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
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
            structlog.processors.JSONRenderer(),
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("aiokafka", "kafka"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))


def bind_correlation(**ids: str | None) -> None:
    """Attach ids (request_id, message_id, correlation_id, journey_id...) to every log line of this task."""
    structlog.contextvars.bind_contextvars(**{k: v for k, v in ids.items() if v is not None})


def clear_correlation() -> None:
    structlog.contextvars.clear_contextvars()


get_logger = structlog.get_logger
