"""Which failures hold a partition (transient) and which are the message's own; descriptions without input."""

import asyncpg
import pytest
from aiokafka.errors import KafkaConnectionError
from pydantic import BaseModel, ValidationError
from sqlalchemy import exc as sa_exc

from shared.errors import describe, is_transient
from shared.events.envelope import InvalidMessage


class _PgError(Exception):
    def __init__(self, sqlstate: str, message: str) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def driver_error(sqlstate: str, message: str = "x") -> sa_exc.DBAPIError:
    """What SQLAlchemy raises for a driver error: the driver's exception as `orig`."""
    return sa_exc.DBAPIError("SELECT $1", {"p": "Ada Lovelace"}, _PgError(sqlstate, message))


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(),
        TimeoutError(),
        KafkaConnectionError(),
        driver_error("40001"),  # serialization failure
        driver_error("40P01"),  # deadlock
        driver_error("57P01"),  # admin shutdown
        driver_error("08006"),  # connection failure
        driver_error("53300"),  # too many connections
        sa_exc.TimeoutError(),  # the pool had no connection
    ],
)
def test_the_infrastructure_being_away_is_transient(error):
    assert is_transient(error)


@pytest.mark.parametrize(
    "error",
    [
        KeyError("email"),
        ValueError("bad"),
        IsADirectoryError(21, "Is a directory"),  # ZoneInfo("America"): the message's fault, not the disk's
        UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"),
        driver_error("22P05", "unsupported Unicode escape sequence"),  # U+0000 in text
        driver_error("23505"),  # unique violation
        InvalidMessage("invalid_data", "x"),
    ],
)
def test_the_message_s_own_failures_are_not_transient(error):
    assert not is_transient(error)


def test_a_transient_error_wrapped_by_another_is_still_transient():
    try:
        try:
            raise ConnectionResetError()
        except ConnectionResetError as inner:
            raise RuntimeError("publishing failed") from inner
    except RuntimeError as outer:
        assert is_transient(outer)


def test_descriptions_never_quote_input():
    assert describe(driver_error("22P05", "invalid input 'Ada Lovelace'")) == "_PgError (SQLSTATE 22P05)"
    assert describe(ValueError("Invalid isoformat string: 'Ada Lovelace'")) == "ValueError"
    with pytest.raises(ValidationError) as caught:

        class Model(BaseModel):
            n: int

        Model(n="Ada Lovelace")
    assert describe(caught.value) == "ValidationError"
    assert describe(KeyError("ada@example.com")) == "KeyError: [email]"
    assert describe(InvalidMessage("invalid_data", "customer.email: not an address")).startswith("InvalidMessage: ")
    assert describe(asyncpg.exceptions.DataError("invalid input for query argument $1: 'Ada'")) == (
        "DataError (SQLSTATE 22000)"
    )
