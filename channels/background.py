"""Work that runs after a webhook has answered, drained when the server stops.

Platforms redeliver a webhook that is not answered quickly (Zalo within
seconds) and Rasa can take longer than that, so connectors acknowledge first
and process afterwards. An acknowledged message is the platform's last word:
if the process stopped without finishing it, the citizen would never get an
answer, so shutdown waits for pending work (for a bounded time).
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Coroutine
from typing import Any

logger = logging.getLogger(__name__)


class Background:
    """Tasks that run after the webhook has answered.

    Keeps a reference to each task (asyncio holds only weak ones, so an
    unreferenced task can vanish mid-way) and logs failures by type and place,
    never with the message.
    """

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def spawn(self, work: Coroutine[Any, Any, None], what: str) -> None:
        task = asyncio.get_running_loop().create_task(self._run(work, what))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self, timeout: float | None = None) -> int:
        """Wait until no task is left (also those spawned meanwhile), at most
        ``timeout`` seconds; cancel what still runs then and return its count."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while self._tasks:
            left = None if deadline is None else deadline - loop.time()
            if left is not None and left <= 0:
                break
            await asyncio.wait(list(self._tasks), timeout=left)
        unfinished = list(self._tasks)
        for task in unfinished:
            task.cancel()
        await asyncio.gather(*unfinished, return_exceptions=True)
        return len(unfinished)

    @staticmethod
    async def _run(work: Coroutine[Any, Any, None], what: str) -> None:
        try:
            await work
        except Exception as exc:
            logger.error("%s failed: %s at %s", what, type(exc).__name__, where(exc))


def where(exc: BaseException) -> str:
    """file:line of the innermost frame: enough to find a bug, no values."""
    frames = traceback.extract_tb(exc.__traceback__)
    return f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
