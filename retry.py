"""Retrying failed calls: the one home for back-off, giving up and the circuit breaker.

Platforms and the province's look-up API fail transiently (timeouts, 5xx,
429, Zalo's -32 rate limit); Rasa can be down for hours while notifications
wait. Every retry in the project spaces its attempts with a ``Backoff``, so
the delay formula lives once:

- a call someone is waiting for (a reply, a dossier look-up) is retried in
  place with ``with_retries``, for a few seconds, then given up (``GaveUp``);
- work kept between attempts (the notification outbox) asks ``next_delay``
  when to try again, and is given up after a span of time, not a count;
- a source that keeps failing is left alone for a while (``CircuitBreaker``),
  so a province's struggling API is not hammered by every citizen's question.

Plain Python, both environments import it (the engine runs Python 3.10). The
sleep function and the clock are injected so tests check the delays and the
breaker's states without waiting for them.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


class Transient(Exception):
    """A failure worth retrying; ``retry_after`` is the platform's hint in seconds."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class GaveUp(Exception):
    """Every attempt failed transiently; ``reason`` is the last failure."""

    def __init__(self, reason: str, attempts: int) -> None:
        super().__init__(f"{reason} after {attempts} attempts")
        self.reason = reason
        self.attempts = attempts


@dataclass(frozen=True)
class Backoff:
    attempts: int = 4  # calls in all, for ``with_retries``
    base: float = 0.5  # first delay, doubled each time
    cap: float = 8.0  # no single wait longer than this
    hint_cap: float = 30.0  # nor longer than this when the platform asks for more
    jitter: float = 0.25  # up to this fraction taken off each delay at random; 0 for a schedule that can be stated

    def ceiling(self, retry: int) -> float:
        """The longest wait before retry number ``retry`` (0-based): exponential, capped."""
        return min(self.cap, self.base * 2**retry)

    def delay(self, retry: int, hint: float | None = None) -> float:
        """Seconds before retry number ``retry`` (0-based): the platform's hint when
        it gives one, else the ceiling less some jitter, so clients that failed
        together do not retry in step."""
        if hint is not None and hint > 0:
            return min(hint, self.hint_cap)
        return self.ceiling(retry) * random.uniform(1 - self.jitter, 1.0)


async def with_retries(
    call: Callable[[], Awaitable[T]],
    what: str,
    backoff: Backoff | None = None,
    sleep: Sleep = asyncio.sleep,
) -> T:
    """``call()`` until it does not raise ``Transient``, at most ``backoff.attempts`` times."""
    backoff = backoff or Backoff()
    for attempt in range(backoff.attempts):
        try:
            return await call()
        except Transient as failure:
            if attempt == backoff.attempts - 1:
                raise GaveUp(failure.reason, backoff.attempts) from None
            delay = backoff.delay(attempt, failure.retry_after)
            logger.info("%s: %s, retrying in %.1f s", what, failure.reason, delay)
            await sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


def next_delay(backoff: Backoff, failures: int, give_up_after: float) -> float | None:
    """The wait after the ``failures``-th failure of work kept between attempts,
    or None once the next try could come more than ``give_up_after`` seconds
    after the first: such work outlives an outage of hours, so time bounds it,
    not ``backoff.attempts``. The ceilings decide, so jitter never moves the end."""
    waited = sum(backoff.ceiling(retry) for retry in range(failures - 1))
    if waited + backoff.ceiling(failures - 1) > give_up_after:
        return None
    return backoff.delay(failures - 1)


class CircuitBreaker:
    """Stops calling a failing source for ``reset_seconds`` after ``threshold``
    failures in a row, then lets one trial call through (half-open).

    Its failures are whole calls, each after its retries: one breaker must
    serve every call to the source (one per process), or it never sees enough
    failures to open.
    """

    def __init__(self, threshold: int, reset_seconds: float, clock: Clock = time.monotonic) -> None:
        self.threshold, self.reset_seconds = threshold, reset_seconds
        self.failures = 0
        self.opened_at: float | None = None
        self._clock = clock

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half-open" if self._clock() - self.opened_at >= self.reset_seconds else "open"

    def allow(self) -> bool:
        """Whether to call now. Half-open lets one trial through: the others
        see the breaker open until the trial's outcome is known."""
        state = self.state
        if state == "half-open":
            self.opened_at = self._clock()
        return state != "open"

    def success(self) -> None:
        self.failures, self.opened_at = 0, None

    def failure(self) -> None:
        self.failures += 1
        if self.failures >= self.threshold or self.opened_at is not None:
            self.opened_at = self._clock()
