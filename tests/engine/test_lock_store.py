"""``engine.lock_store``: a conversation's turns still take Rasa's ticket lock
one after the other, and a waiting turn starts when the one before ends, not
at its next poll (here a minute away: the test would time out)."""

import asyncio
import uuid

from rasa.utils.endpoints import EndpointConfig

from engine.lock_store import PromptRedisLockStore

REDIS = EndpointConfig(url="127.0.0.1", port=6379, db=15, key_prefix=f"test{uuid.uuid4().hex[:8]}", type="x")


def test_turns_of_one_conversation_run_in_ticket_order_and_wake_each_other():
    store = PromptRedisLockStore(REDIS)
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
    assert store.get_lock("web:burst") is None  # the last turn removed the lock
