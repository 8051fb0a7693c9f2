"""What kind of failure an exception is, and how to describe it without personal data.

Transient: the database or Kafka is away or busy (connection lost or refused, a timeout, a serialization
failure or deadlock, the server shutting down or out of connections). Retrying the same work later will
succeed, so a consumer holds its place and retries. Everything else is permanent for the message at hand:
retrying a bounded number of times cannot hurt, retrying for ever stops everyone behind it.

Exception messages may quote the data that caused them (a driver's "invalid input ... 'Ada'", SQL
parameters), so a description is the exception's class with the server's error code, and a message only
for exception types whose messages are ours or carry no input values.
"""

import asyncio
import re
import socket
from collections.abc import Iterator

from aiokafka.errors import KafkaError
from sqlalchemy import exc as sa_exc

# SQLSTATE classes: 08 connection, 40 transaction rollback (serialization, deadlock), 53 insufficient
# resources, 57 operator intervention (shutdown, cannot connect now), 58 system error.
TRANSIENT_SQLSTATE_CLASSES = frozenset({"08", "40", "53", "57", "58"})
_EMAIL = re.compile(r"\S+@\S+")


def causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, the ones it was raised from or during, and a driver's original error."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [current.__cause__, current.__context__, getattr(current, "orig", None)]


def sqlstate(exc: BaseException) -> str | None:
    for cause in causes(exc):
        state = getattr(cause, "sqlstate", None)
        if isinstance(state, str) and state:
            return state
    return None


def is_transient(exc: BaseException) -> bool:
    """True when the failure is the infrastructure's, not the message's."""
    state = sqlstate(exc)
    if state is not None:
        return state[:2] in TRANSIENT_SQLSTATE_CLASSES
    for cause in causes(exc):
        if isinstance(
            cause,
            ConnectionError
            | TimeoutError
            | asyncio.TimeoutError
            | socket.gaierror
            | KafkaError
            | sa_exc.DisconnectionError
            | sa_exc.TimeoutError,
        ):
            return True
        if isinstance(cause, sa_exc.DBAPIError) and cause.connection_invalidated:
            return True
        if type(cause).__name__ in ("ConnectionDoesNotExistError", "InterfaceError") and "closed" in str(cause):
            return True  # asyncpg: "connection is closed", "connection was closed in the middle of operation"
    return False


# Exception types whose messages name keys, attributes, topics or limits rather than echo input values.
SAFE_MESSAGES = (
    KeyError,
    AttributeError,
    NameError,
    ImportError,
    NotImplementedError,
    RecursionError,
    ArithmeticError,
    ConnectionError,
    TimeoutError,
    KafkaError,
)
OUR_PACKAGES = frozenset({"shared", "orchestrator", "notifier", "survey"})


def describe(exc: BaseException) -> str:
    """A one-line description fit for logs, metrics and DLQ headers: the class, the SQLSTATE, and the message
    only where it cannot quote input (our own exceptions, and SAFE_MESSAGES), with addresses masked."""
    state = sqlstate(exc)
    root = _innermost_driver_error(exc)
    name = type(root).__name__
    if state is not None:
        return f"{name} (SQLSTATE {state})"
    if type(root).__module__.split(".")[0] not in OUR_PACKAGES and not isinstance(root, SAFE_MESSAGES):
        return name  # e.g. ValueError("Invalid isoformat string: 'Ada'"), a driver's "invalid input ... 'Ada'"
    message = _EMAIL.sub("[email]", " ".join(str(root).split()))[:300]
    return f"{name}: {message}" if message else name


def _innermost_driver_error(exc: BaseException) -> BaseException:
    orig = getattr(exc, "orig", None)
    if isinstance(orig, BaseException):
        return _innermost_driver_error(orig.__cause__ or orig)
    return exc
