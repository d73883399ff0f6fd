"""The one retry policy (``retry.py``): run in both environments, so only the
standard library and pytest; recorded sleeps and a fake clock instead of waiting."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from retry import Backoff, CircuitBreaker, GaveUp, Transient, next_delay, with_retries


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Sleeps(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def failing(*failures: Exception) -> tuple[Callable[[], Awaitable[str]], list[int]]:
    """A call that raises ``failures`` in turn, then answers "ok"; and its call count."""
    calls = [0]

    async def call() -> str:
        calls[0] += 1
        if calls[0] <= len(failures):
            raise failures[calls[0] - 1]
        return "ok"

    return call, calls


def test_delays_double_up_to_the_cap() -> None:
    backoff = Backoff(base=1.0, cap=5.0, jitter=0)
    assert [backoff.delay(retry) for retry in range(5)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_jitter_only_shortens_a_delay() -> None:
    backoff = Backoff(base=2.0, cap=8.0, jitter=0.25)
    for retry in range(5):
        ceiling = backoff.ceiling(retry)
        assert all(0.75 * ceiling <= backoff.delay(retry) <= ceiling for _ in range(50))


def test_a_hint_is_respected_up_to_its_cap() -> None:
    backoff = Backoff(base=1.0, cap=2.0, hint_cap=30.0, jitter=0)
    assert backoff.delay(0, hint=12.0) == 12.0  # longer than the cap: the platform knows best
    assert backoff.delay(0, hint=3600.0) == 30.0
    assert backoff.delay(0, hint=0.0) == backoff.delay(0, hint=None) == 1.0


def test_retries_until_the_call_succeeds_with_the_hinted_and_backed_off_waits() -> None:
    call, calls = failing(Transient("HTTP 429", retry_after=4.0), Transient("HTTP 502"))
    sleeps = Sleeps()
    result = asyncio.run(with_retries(call, "test", Backoff(base=0.5, jitter=0), sleeps))
    assert (result, calls[0], sleeps) == ("ok", 3, [4.0, 1.0])


def test_gives_up_after_the_attempts_with_the_last_reason() -> None:
    call, calls = failing(*(Transient(f"HTTP 50{n}") for n in range(10)))
    sleeps = Sleeps()
    with pytest.raises(GaveUp) as gave_up:
        asyncio.run(with_retries(call, "test", Backoff(attempts=3, jitter=0), sleeps))
    assert (gave_up.value.reason, gave_up.value.attempts) == ("HTTP 502", 3)
    assert calls[0] == 3 and sleeps == [0.5, 1.0]  # no wait after the last attempt


def test_other_failures_are_not_retried() -> None:
    call, calls = failing(ValueError("refused"))
    with pytest.raises(ValueError):
        asyncio.run(with_retries(call, "test", Backoff(), Sleeps()))
    assert calls[0] == 1


def test_kept_work_is_retried_until_the_span_is_spent() -> None:
    backoff = Backoff(base=60, cap=3600, jitter=0)
    delays = []
    while (delay := next_delay(backoff, len(delays) + 1, give_up_after=6 * 3600)) is not None:
        delays.append(delay)
    assert delays[:7] == [60, 120, 240, 480, 960, 1920, 3600]
    assert sum(delays) <= 6 * 3600 < sum(delays) + 3600


def test_jitter_does_not_move_the_end_of_kept_work() -> None:
    steady, jittered = Backoff(base=60, cap=3600, jitter=0), Backoff(base=60, cap=3600, jitter=0.5)
    for failures in range(1, 40):
        assert (next_delay(steady, failures, 86400) is None) == (next_delay(jittered, failures, 86400) is None)


def test_breaker_opens_after_failures_in_a_row() -> None:
    breaker = CircuitBreaker(threshold=3, reset_seconds=10.0, clock=Clock())
    breaker.failure()
    breaker.failure()
    breaker.success()  # not in a row
    breaker.failure()
    breaker.failure()
    assert breaker.state == "closed" and breaker.allow()
    breaker.failure()
    assert breaker.state == "open" and not breaker.allow()


def test_breaker_half_opens_for_one_trial_which_closes_it() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=1, reset_seconds=10.0, clock=clock)
    breaker.failure()
    clock.now += 9.9
    assert breaker.state == "open"
    clock.now += 0.1
    assert breaker.state == "half-open"
    assert [breaker.allow() for _ in range(3)] == [True, False, False]  # one trial at a time
    breaker.success()
    assert breaker.state == "closed" and breaker.allow()


def test_breaker_reopens_when_the_trial_fails() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=3, reset_seconds=10.0, clock=clock)
    for _ in range(3):
        breaker.failure()
    clock.now += 11
    assert breaker.allow()
    breaker.failure()  # one failure is enough once open
    assert breaker.state == "open"
    clock.now += 9
    assert not breaker.allow()
