"""Rasa's Redis lock store, with waiters woken as soon as the lock is free.

Rasa serialises a conversation's turns with a ticket lock; a turn that finds
the lock taken polls it once a second (``LockStore.lock``'s
``wait_time_in_seconds=1``, fixed by its callers). A citizen who sends three
short messages in a row (common on Zalo) waits up to a second per message
for nothing, and 50 messages at once outlive the web relay's timeout.
With the proxy's conversation affinity, the turns of a conversation wait in
the same process: the turn that finishes wakes the next one at once. The
once-a-second poll stays, for a turn that waits on another server (when one
fails and its conversations move).

In ``bot/endpoints.production.yml``: ``lock_store: type:
engine.lock_store.PromptRedisLockStore`` with the options of Rasa's ``redis``
store. Checked against Rasa 3.6.21 (``rasa/core/lock_store.py``).
"""

from __future__ import annotations

import asyncio
import contextlib

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig


class PromptRedisLockStore(RedisLockStore):
    """``RedisLockStore`` whose waiters in this process wake when a turn finishes."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        super().__init__(host=endpoint_config.url or "localhost", **endpoint_config.kwargs)
        self._released: dict[str, asyncio.Event] = {}

    async def _acquire_lock(self, conversation_id: str, ticket: int, wait_time_in_seconds: float) -> TicketLock:
        # Rasa's loop, with the sleep replaced by a wait for the next release.
        while True:
            lock = self.get_lock(conversation_id)
            if not lock:
                break
            if not lock.is_locked(ticket):
                return lock
            released = self._released.setdefault(conversation_id, asyncio.Event())
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(released.wait(), wait_time_in_seconds)
            self.update_lock(conversation_id)
        raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        try:
            super().cleanup(conversation_id, ticket_number)
        finally:
            released = self._released.pop(conversation_id, None)
            if released is not None:
                released.set()
