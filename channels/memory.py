"""A small, bounded, expiring in-memory map for the connectors.

The connectors remember little things for a short while: the options a
citizen was last offered as numbers, the long button payloads behind short
Telegram ids. None of it may grow without bound, so every map has a lifetime
and a size cap. (Deliveries already seen must survive a restart: they live
in ``channels.deliveries``.)

Limitation, on purpose: this memory lives in one process. With several Rasa
replicas behind a load balancer, a typed option number may reach a replica
that has not shown the options. Route each conversation to one replica, or
put these maps in Redis, before scaling out to several machines.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ExpiringMap(Generic[K, V]):
    """Keys expire ``ttl`` seconds after they were last set; the oldest go first
    when more than ``max_items`` are held."""

    def __init__(self, ttl: float, max_items: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._max_items = max_items
        self._clock = clock
        self._items: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def get(self, key: K) -> V | None:
        self._expire()
        found = self._items.get(key)
        return found[1] if found else None

    def put(self, key: K, value: V) -> None:
        self._items.pop(key, None)
        self._items[key] = (self._clock() + self._ttl, value)
        self._expire()

    def __len__(self) -> int:
        self._expire()
        return len(self._items)

    def _expire(self) -> None:
        # Entries are in order of their last set, and all live equally long, so
        # the expired ones are at the front.
        now = self._clock()
        while self._items:
            key, (expires_at, _) = next(iter(self._items.items()))
            if expires_at > now and len(self._items) <= self._max_items:
                break
            del self._items[key]
