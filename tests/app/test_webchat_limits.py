"""The relay's per-client rate limit: a sliding window, and a memory that
does not grow for ever when an attacker rotates addresses."""

from __future__ import annotations

from webchat.limits import SWEEP_AT, RateLimit


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_window_slides_and_refusals_are_not_counted():
    clock = Clock()
    limit = RateLimit(3, window=60, clock=clock)
    for second in (0, 10, 20):
        clock.now = 1000 + second
        assert limit.hit("a") == 0
    clock.now = 1030
    assert limit.hit("a") == 30  # the first event leaves the window at 1060
    clock.now = 1059
    assert limit.hit("a") == 1
    clock.now = 1060
    assert limit.hit("a") == 0  # the refused tries did not push the window back
    assert limit.hit("b") == 0  # another client has its own count


def test_idle_clients_are_forgotten():
    clock = Clock()
    limit = RateLimit(1, window=60, clock=clock)
    for n in range(5 * SWEEP_AT):
        clock.now += 0.1
        limit.hit(f"198.51.{n // 256}.{n % 256}")
    assert len(limit._hits) <= SWEEP_AT + 60 * 10  # at most those active in the last minute, and a batch
