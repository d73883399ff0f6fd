"""Retrying outbound platform calls with exponential back-off.

Platforms fail transiently (timeouts, 5xx, 429, Zalo's -32 rate limit). A
reply the citizen is waiting for is worth a few seconds of retrying; after
that the failure is logged (without content) and the turn goes on. The sleep
function is injected so tests check the delays without waiting for them.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

logger = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]


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
    attempts: int = 4
    base: float = 0.5  # first delay, doubled each time
    cap: float = 8.0  # no single wait longer than this
    hint_cap: float = 30.0  # nor longer than this when the platform asks for more

    def delay(self, retry: int, hint: float | None = None) -> float:
        """Seconds before retry number ``retry`` (0-based): the platform's hint when
        it gives one, else exponential with jitter, so clients do not retry in step."""
        if hint is not None and hint > 0:
            return min(hint, self.hint_cap)
        return min(self.cap, self.base * 2**retry) * random.uniform(0.75, 1.0)


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
