"""``engine.lock_store``: a conversation's turns take the lock one after the other,
in ticket order, across servers too; a waiting turn starts when the one before
ends, not at its next poll (here a minute away: the test would time out)."""

from __future__ import annotations

import asyncio
import threading
import uuid

import pytest
from rasa.core.lock_store import LockError
from rasa.utils.endpoints import EndpointConfig

from engine.lock_store import AtomicRedisLockStore


def _endpoint(port: int = 6379) -> EndpointConfig:
    return EndpointConfig(url="127.0.0.1", port=port, db=15, key_prefix=f"test{uuid.uuid4().hex[:8]}", type="x")


def test_turns_of_one_conversation_run_in_ticket_order_and_wake_each_other():
    store = AtomicRedisLockStore(_endpoint())
    order: list[tuple[str, int]] = []

    async def turn(number: int) -> None:
        async with store.lock("web:burst", wait_time_in_seconds=60):
            order.append(("start", number))
            await asyncio.sleep(0.01)
            order.append(("end", number))

    async def all_turns() -> None:
        await asyncio.wait_for(asyncio.gather(*(turn(n) for n in range(5))), timeout=20)

    asyncio.run(all_turns())
    assert order == [(what, n) for n in range(5) for what in ("start", "end")]
    assert set(store.red.hgetall(store.key_prefix + "web:burst")) == {b"next"}  # no ticket left


def test_two_servers_never_hold_one_conversation_at_once():
    """Rasa's store reads, changes and writes the lock in three steps: two servers
    issuing at once could both be served. Four "servers" (stores with their own
    connection, each in its own thread) take the same lock 40 times each."""
    endpoint = _endpoint()
    holders: list[int] = []
    overlaps: list[list[int]] = []
    guard = threading.Lock()

    def server(number: int) -> None:
        store = AtomicRedisLockStore(endpoint)

        async def turns() -> None:
            for _ in range(40):
                async with store.lock("zalo:42", wait_time_in_seconds=0.001):
                    with guard:
                        holders.append(number)
                        if len(holders) > 1:
                            overlaps.append(list(holders))
                    await asyncio.sleep(0)
                    with guard:
                        holders.remove(number)

        asyncio.run(turns())

    threads = [threading.Thread(target=server, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    assert overlaps == []


def test_a_crashed_servers_ticket_expires_and_the_next_turn_goes_on():
    store = AtomicRedisLockStore(_endpoint())
    crashed = store.lock("telegram:7", lock_lifetime=0.3)

    async def turns() -> str:
        await crashed.__aenter__()  # a server that took the lock and died holding it
        async with store.lock("telegram:7", wait_time_in_seconds=0.05):
            return "answered"

    assert asyncio.run(asyncio.wait_for(turns(), timeout=10)) == "answered"


def test_redis_unreachable_is_rasas_lock_error():
    store = AtomicRedisLockStore(_endpoint(port=1))

    async def turn() -> None:
        async with store.lock("web:1"):
            pass

    with pytest.raises(LockError):
        asyncio.run(turn())
