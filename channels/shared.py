"""Redis for what the connectors remember, when ``TTHC_REDIS_URL`` is set.

With several Rasa servers (``make run-prod``) a citizen's conversation stays
on one server, but it moves when that server stops, and a platform may
redeliver a webhook to any server: the duplicate-delivery memory, the
numbered options a citizen was shown and Telegram's long button payloads
live in Redis then, shared by every server. Without the setting they stay
in SQLite and in process memory (``make run``).

A Redis restart drops a stale connection: every command is retried on a new
one (a few times, with back-off) before the caller's fallback applies.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from settings import get_settings

if TYPE_CHECKING:
    from redis import Redis

KEY_PREFIX = "tthc:"


def shared_redis() -> Redis | None:
    """The Redis client of ``TTHC_REDIS_URL``; None when it is not set."""
    url = get_settings().redis_url
    return redis_client(url) if url else None


@lru_cache(maxsize=4)
def redis_client(url: str) -> Redis:
    from redis import Redis
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError, TimeoutError
    from redis.retry import Retry

    return Redis.from_url(
        url,
        socket_timeout=2,
        socket_connect_timeout=2,
        retry=Retry(ExponentialBackoff(cap=1.0, base=0.05), 4),
        retry_on_error=[ConnectionError, TimeoutError],
        health_check_interval=30,
    )
