"""The deliveries a connector has already taken, remembered across restarts.

Platforms redeliver a webhook they think was lost (Zalo within seconds,
Telegram for as long as a day), and a replay after a restart must not reach
Rasa a second time. The memory is one small SQLite file (standard library,
no service to run), shared by the connectors and by Rasa processes on the
same machine; each entry lives ``ttl`` seconds (a day). With
``TTHC_REDIS_URL`` set (``make run-prod``, several machines) the memory is
Redis instead (``RedisDeliveries``, the same interface): a redelivery that
reaches another server is still recognised. ``shared_deliveries()`` picks.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from channels.shared import KEY_PREFIX, shared_redis
from settings import get_settings

if TYPE_CHECKING:
    from redis import Redis

logger = logging.getLogger(__name__)

DEFAULT_TTL = 24 * 3600.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    channel TEXT NOT NULL,
    key TEXT NOT NULL,
    expires_at REAL NOT NULL,
    PRIMARY KEY (channel, key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS deliveries_expiry ON deliveries (expires_at);
"""


def deliveries_path() -> Path:
    """``TTHC_DELIVERIES_DB``, by default ``var/deliveries.db``."""
    return get_settings().deliveries_db


class Deliveries:
    """``first_time(channel, key)``: True once per key and lifetime.

    ``path=None`` keeps the memory in this process only (tests, and connectors
    built without ``from_credentials``). The file is opened on first use, so a
    process that forks its workers opens it in each worker.
    """

    def __init__(self, path: Path | None, ttl: float = DEFAULT_TTL, clock: Callable[[], float] = time.time) -> None:
        self._path = path
        self._ttl = ttl
        self._clock = clock
        self._db: sqlite3.Connection | None = None

    def first_time(self, channel: str, key: str) -> bool:
        """Check and record in one transaction, so two processes cannot both take a key.

        When the file cannot be used the delivery is taken: a rare duplicate
        answer is better than a citizen's message dropped.
        """
        now = self._clock()
        try:
            db = self._connection()
            with db:
                db.execute("DELETE FROM deliveries WHERE expires_at <= ?", (now,))
                inserted = db.execute(
                    "INSERT OR IGNORE INTO deliveries (channel, key, expires_at) VALUES (?, ?, ?)",
                    (channel, key, now + self._ttl),
                ).rowcount
        except sqlite3.Error as exc:
            logger.error("%s: delivery memory unavailable (%s); the delivery is taken", channel, type(exc).__name__)
            return True
        return inserted == 1

    def _connection(self) -> sqlite3.Connection:
        if self._db is None:
            if self._path is not None:
                self._path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(str(self._path or ":memory:"), timeout=5.0)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # survives a crash of the process, which is what matters here
            db.executescript(_SCHEMA)
            self._db = db
        return self._db


class RedisDeliveries(Deliveries):
    """``Deliveries`` in Redis: one ``SET NX EX`` takes a key for every server at once."""

    def __init__(self, client: Redis, ttl: float = DEFAULT_TTL) -> None:
        super().__init__(None, ttl)
        self._client = client

    def first_time(self, channel: str, key: str) -> bool:
        """As ``Deliveries.first_time``; when Redis does not answer the delivery is taken."""
        from redis.exceptions import RedisError

        try:
            taken = self._client.set(f"{KEY_PREFIX}delivery:{channel}:{key}", b"1", nx=True, ex=max(1, int(self._ttl)))
        except RedisError as exc:
            logger.error("%s: delivery memory unavailable (%s); the delivery is taken", channel, type(exc).__name__)
            return True
        return bool(taken)


def shared_deliveries() -> Deliveries:
    """The connectors' delivery memory: Redis when ``TTHC_REDIS_URL`` is set, else ``TTHC_DELIVERIES_DB``."""
    client = shared_redis()
    return RedisDeliveries(client) if client is not None else Deliveries(deliveries_path())
