"""The unknown-token throttle: an address is refused after `limit` failures in a window, for the rest of
it, without its token being looked at; others are not; memory stays bounded."""

from shared import auth_throttle
from shared.auth import TokenAuth
from shared.auth_throttle import FailedAttempts


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_an_address_is_refused_after_the_limit_until_its_oldest_failure_is_a_window_old():
    clock = Clock()
    attempts = FailedAttempts(limit=3, window=60, clock=clock)
    for _ in range(2):
        attempts.failed("a")
        clock.now += 10
    assert attempts.retry_after("a") is None
    attempts.failed("a")  # the third, at 1020; the first was at 1000
    assert attempts.retry_after("a") == 40
    assert attempts.retry_after("b") is None
    clock.now = 1060.5  # the first failure is a window old: one try again
    assert attempts.retry_after("a") is None


def test_while_refused_the_token_is_not_looked_at():
    clock = Clock()
    auth = TokenAuth({"right-token-0123456789": "viewer"}, failures=FailedAttempts(limit=2, window=60, clock=clock))
    assert auth.check("wrong", "a") == (None, None)
    assert auth.check("wrong again", "a") == (None, None)
    principal, wait = auth.check("right-token-0123456789", "a")
    assert principal is None and wait == 60, "a right guess looks like any other while refused"
    principal, wait = auth.check("right-token-0123456789", "b")
    assert principal is not None and principal.role == "viewer" and wait is None


def test_many_addresses_keep_memory_bounded(monkeypatch):
    monkeypatch.setattr(auth_throttle, "MAX_ADDRESSES", 100)
    attempts = FailedAttempts(limit=2, window=60, clock=Clock())
    for n in range(1000):
        attempts.failed(f"10.0.{n // 256}.{n % 256}")
    assert len(attempts._failures) == 100
    assert attempts.retry_after("10.0.0.0") is None, "the longest quiet were dropped first"
