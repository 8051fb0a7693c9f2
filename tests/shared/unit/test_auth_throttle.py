"""The unknown-token throttle: after a few free failures a source (an address, a token prefix) waits, doubling
with each further failure up to a ceiling, never locked for long; while it waits its token is not looked at;
others are not affected; memory stays bounded."""

from shared import auth_throttle
from shared.auth import TokenAuth
from shared.auth_throttle import FailedAttempts

RIGHT = "right-token-0123456789"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def guesses(auth: TokenAuth, clock: Clock, address: str, count: int) -> list[int | None]:
    """Send `count` wrong tokens from `address`, each as soon as allowed; the waits they were told."""
    waits = []
    for n in range(count):
        principal, wait = auth.check(f"wrong-{n:04d}-token", address)
        assert principal is None
        waits.append(wait)
        if wait:
            clock.now += wait
    return waits


def test_the_wait_doubles_after_the_free_failures_up_to_the_ceiling():
    clock = Clock()
    auth = TokenAuth({RIGHT: "viewer"}, failures=FailedAttempts(free=3, max_delay=8, clock=clock))
    assert guesses(auth, clock, "a", 3) == [None, None, None]
    assert auth.check("wrong-fourth", "a") == (None, None), "the fourth is looked at, and sets a wait..."
    assert auth.check("wrong-fifth", "a")[1] == 1, "...of 1 s"
    clock.now += 1
    waits = [w for w in guesses(auth, clock, "a", 12) if w]
    assert waits[:4] == [2, 4, 8, 8], "doubling, then the ceiling"
    assert max(waits) == 8


def test_while_a_source_waits_its_token_is_not_looked_at_and_others_go_on():
    clock = Clock()
    auth = TokenAuth({RIGHT: "viewer"}, failures=FailedAttempts(free=2, max_delay=60, clock=clock))
    for n in range(3):
        auth.check(f"wrong-{n}-token", "nat")
    principal, wait = auth.check(RIGHT, "nat")
    assert principal is None and wait == 1, "a right guess looks like any other while the source waits"
    principal, wait = auth.check(RIGHT, "elsewhere")
    assert principal is not None and wait is None
    clock.now += 1
    principal, wait = auth.check(RIGHT, "nat")
    assert principal is not None, "the staff behind the same NAT waited a second, not ten minutes"


def test_the_worst_a_guesser_can_do_to_its_address_is_the_ceiling():
    clock = Clock()
    auth = TokenAuth({RIGHT: "viewer"}, failures=FailedAttempts(free=5, max_delay=60, clock=clock))
    guesses(auth, clock, "nat", 200)  # a long guessing run from the office's NAT
    _, wait = auth.check(RIGHT, "nat")
    assert wait is not None and wait <= 60
    clock.now += wait
    principal, _ = auth.check(RIGHT, "nat")
    assert principal is not None


def test_guesses_at_one_token_prefix_from_many_addresses_are_slowed_too():
    clock = Clock()
    auth = TokenAuth({RIGHT: "viewer"}, failures=FailedAttempts(free=3, max_delay=60, clock=clock))
    for n in range(4):  # a leaked beginning, "right-", completed from four addresses
        auth.check(f"right-guess-{n}", f"10.0.0.{n}")
    assert auth.check("right-guess-5", "10.0.0.99")[1] == 1
    assert auth.check("other-prefix", "10.0.0.99")[1] is None, "another prefix from that address goes on"


def test_a_source_is_forgotten_a_window_after_its_last_failure():
    clock = Clock()
    attempts = FailedAttempts(free=1, window=60, clock=clock)
    attempts.failed(["a"])
    attempts.failed(["a"])
    assert attempts.retry_after(["a"]) == 1
    clock.now += 61
    assert attempts.retry_after(["a"]) is None
    attempts.failed(["a"])
    assert attempts.retry_after(["a"]) is None, "counting starts over"


def test_many_sources_keep_memory_bounded(monkeypatch):
    monkeypatch.setattr(auth_throttle, "MAX_SOURCES", 100)
    attempts = FailedAttempts(free=1, clock=Clock())
    for n in range(1000):
        attempts.failed([f"address:10.0.{n // 256}.{n % 256}"])
    assert len(attempts._sources) == 100
    assert attempts.retry_after(["address:10.0.0.0"]) is None, "the longest quiet were dropped first"
