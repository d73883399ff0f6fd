"""A Redis ticket lock for Rasa's conversations: atomic, and two round trips a turn.

Rasa serialises a conversation's turns with a ticket lock. Its ``RedisLockStore``
reads the lock, changes it in Python and writes it back: two servers issuing a
ticket at once can both get the same number and run one conversation's turns
side by side, and a turn costs seven Redis round trips (a tenth of a production
server's CPU under load, docs/benchmarks.md). Here each step is one Lua script,
which Redis runs atomically:

- ``issue``: drop the expired tickets, issue the next number, and say which
  ticket is served now (a turn that finds the lock free starts at once);
- ``serving``: drop the expired tickets and say which one is served;
- ``finish``: remove a ticket.

A conversation's lock is one hash: the counter ``next`` and one field per
waiting ticket, valued with its expiry. Numbers never restart while the hash
lives (two lifetimes after its last ticket was issued), so a turn whose
ticket expired cannot remove a later turn's ticket by its number.

A turn that waits is woken as soon as a turn of the same conversation ends in
this process (with the proxy's conversation affinity, that is where it
waits); Rasa's store polls once a second, so a citizen's three quick messages
waited up to a second each for nothing. The poll stays, for a turn waiting on
another server (when one fails and its conversations move).

In ``bot/endpoints.production.yml``: ``lock_store: type:
engine.lock_store.AtomicRedisLockStore`` with the options of Rasa's ``redis``
store. Checked against Rasa 3.6.21 (``rasa/core/lock_store.py``, whose callers
use only ``lock()``).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

# KEYS[1]: the conversation's hash; ARGV[1]: now (s). Returns the lowest live ticket, or false.
_SERVING = """
local lowest = false
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  local name = fields[i]
  if name ~= 'next' then
    if tonumber(fields[i + 1]) < tonumber(ARGV[1]) then
      redis.call('HDEL', KEYS[1], name)
    elseif not lowest or tonumber(name) < lowest then
      lowest = tonumber(name)
    end
  end
end
return lowest
"""

# ARGV[2]: the ticket's lifetime (s). Returns {ticket, ticket served now}.
_ISSUE = (
    """
local ticket = redis.call('HINCRBY', KEYS[1], 'next', 1)
redis.call('HSET', KEYS[1], ticket, tonumber(ARGV[1]) + tonumber(ARGV[2]))
redis.call('PEXPIRE', KEYS[1], math.ceil(2000 * tonumber(ARGV[2])))
local function serving()
"""
    + _SERVING
    + """
end
return {ticket, serving()}
"""
)

# ARGV[1]: the ticket. Returns 1 when it was still held.
_FINISH = """
return redis.call('HDEL', KEYS[1], ARGV[1])
"""


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's Redis lock store with each step atomic, and prompt hand-over."""

    def __init__(self, endpoint_config: EndpointConfig) -> None:
        super().__init__(host=endpoint_config.url or "localhost", **endpoint_config.kwargs)
        self._issue = self.red.register_script(_ISSUE)
        self._serving = self.red.register_script(_SERVING)
        self._finish = self.red.register_script(_FINISH)
        self._released: dict[str, asyncio.Event] = {}

    @contextlib.asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = 1,
    ) -> AsyncIterator[TicketLock]:
        """Hold the conversation's lock for one turn, after the turns before it."""
        key = self.key_prefix + conversation_id
        try:
            ticket, serving = self._issue(keys=[key], args=[time.time(), lock_lifetime])
        except Exception as error:  # Redis down: Rasa's own message for it
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error
        try:
            await self._wait_for_turn(conversation_id, key, ticket, serving, wait_time_in_seconds)
            yield TicketLock(conversation_id)
        finally:
            self._finish(keys=[key], args=[ticket])
            released = self._released.pop(conversation_id, None)
            if released is not None:
                released.set()

    async def _wait_for_turn(
        self, conversation_id: str, key: str, ticket: int, serving: int | None, wait_time_in_seconds: float
    ) -> None:
        while serving != ticket:
            if serving is None:  # our own ticket expired while waiting
                raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
            released = self._released.setdefault(conversation_id, asyncio.Event())
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(released.wait(), wait_time_in_seconds)
            serving = self._serving(keys=[key], args=[time.time()])
