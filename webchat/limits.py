"""Per-client rate limits of the web relay, counted in this process's memory.

One web chat process serves one site; behind several processes each counts
its own clients, which still bounds what one client can make Rasa do.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

SWEEP_AT = 1024  # clients remembered before the idle ones are forgotten


class RateLimit:
    """At most ``limit`` events per ``window`` seconds for each client (a sliding window)."""

    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._sweep_at = SWEEP_AT

    def hit(self, client: str) -> float:
        """Count one event of ``client``: 0 when allowed, else the seconds to wait.

        A refused event is not counted, so a client that keeps trying is
        let in again as soon as its window allows."""
        now = self._clock()
        hits = self._hits.setdefault(client, deque())
        while hits and now - hits[0] >= self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return hits[0] + self.window - now
        hits.append(now)
        self._sweep(now)
        return 0.0

    def _sweep(self, now: float) -> None:
        """Forget idle clients, so that many addresses do not grow memory for ever."""
        if len(self._hits) < self._sweep_at:
            return
        self._hits = {client: hits for client, hits in self._hits.items() if hits and now - hits[-1] < self.window}
        self._sweep_at = max(SWEEP_AT, 2 * len(self._hits))
