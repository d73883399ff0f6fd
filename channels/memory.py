"""Small, bounded, expiring maps for the connectors.

The connectors remember little things for a short while: the options a
citizen was last offered as numbers, the long button payloads behind short
Telegram ids. None of it may grow without bound, so every map has a lifetime
and a size cap. (Deliveries already seen must survive a restart: they live
in ``channels.deliveries``.)

One interface (``get``, ``put``), two homes, chosen by ``expiring_map``:
process memory (``ExpiringMap``, ``make run``), or Redis (``RedisMap``) when
``TTHC_REDIS_URL`` is set, so that every Rasa server of ``make run-prod``
sees what another has shown (a conversation moves when its server stops).
"""

from __future__ import annotations

import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from channels.shared import KEY_PREFIX, shared_redis

if TYPE_CHECKING:
    from redis import Redis

logger = logging.getLogger(__name__)

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


class Memory(Protocol[V]):
    """What the connectors need of a map: ``get`` and ``put`` by a string key."""

    def get(self, key: str) -> V | None: ...

    def put(self, key: str, value: V) -> None: ...


class RedisMap(Generic[V]):
    """``ExpiringMap``'s behaviour in Redis: a key expires ``ttl`` seconds after
    it was last set (Redis bounds the size with its memory policy). When Redis
    does not answer, nothing is remembered: a citizen may have to pick an
    option again, never loses a message."""

    def __init__(
        self,
        client: Redis,
        namespace: str,
        ttl: float,
        encode: Callable[[V], str],
        decode: Callable[[str], V],
    ) -> None:
        self._client, self._prefix = client, f"{KEY_PREFIX}{namespace}:"
        self._ttl = max(1, int(ttl))
        self._encode, self._decode = encode, decode

    def get(self, key: str) -> V | None:
        from redis.exceptions import RedisError

        try:
            raw = self._client.get(self._prefix + key)
        except RedisError as exc:
            logger.error("%s: shared memory unavailable (%s)", self._prefix, type(exc).__name__)
            return None
        return None if raw is None else self._decode(raw.decode())

    def put(self, key: str, value: V) -> None:
        from redis.exceptions import RedisError

        try:
            self._client.set(self._prefix + key, self._encode(value), ex=self._ttl)
        except RedisError as exc:
            logger.error("%s: shared memory unavailable (%s)", self._prefix, type(exc).__name__)


def expiring_map(
    namespace: str,
    ttl: float,
    max_items: int,
    encode: Callable[[Any], str] = json.dumps,
    decode: Callable[[str], Any] = json.loads,
    clock: Callable[[], float] | None = None,
) -> Memory[Any]:
    """Redis when ``TTHC_REDIS_URL`` is set (values through ``encode``/``decode``),
    else process memory; a given ``clock`` (tests) means process memory."""
    client = shared_redis() if clock is None else None
    if client is not None:
        return RedisMap(client, namespace, ttl, encode, decode)
    return ExpiringMap(ttl, max_items, clock or time.monotonic)
