"""``python -m tests.engine.bench_tracker_writes`` (engine environment): what one
turn costs Rasa's SQL tracker store on SQLite — read the tracker, add the
turn's events, save — with Rasa's own store and with engine.tracker_writes,
alternating in rounds so that other work on the machine weighs on both alike.
Figures for docs/benchmarks.md, never a test."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from engine.tracker_writes import CountedSQLTrackerStore

CONVERSATIONS, TURNS, ROUNDS = 20, 10, 3


async def turns(store: SQLTrackerStore, prefix: str) -> list[float]:
    """Seconds per turn over ``CONVERSATIONS`` conversations of ``TURNS`` turns."""
    spent = []
    for _ in range(TURNS):
        for n in range(CONVERSATIONS):
            sender = f"web:{prefix}{n}"
            started = time.perf_counter()
            tracker = await store.retrieve(sender) or DialogueStateTracker(sender, slots=[])
            tracker.update(ActionExecuted("action_listen"))
            tracker.update(UserUttered("làm khai sinh cần gì", {"name": "ask_procedure", "confidence": 1.0}))
            tracker.update(ActionExecuted("action_answer_procedure"))
            tracker.update(BotUttered("Dạ, hồ sơ đăng ký khai sinh gồm..."))
            await store.save(tracker)
            spent.append(time.perf_counter() - started)
    return spent


def main() -> None:
    work = Path(tempfile.mkdtemp())
    stores = {
        "Rasa's SQLTrackerStore": SQLTrackerStore(dialect="sqlite", db=str(work / "rasa.db")),
        "engine.tracker_writes": CountedSQLTrackerStore(dialect="sqlite", db=str(work / "ours.db")),
    }
    spent: dict[str, list[float]] = {name: [] for name in stores}
    for round_number in range(ROUNDS):
        for name, store in stores.items():
            spent[name] += asyncio.run(turns(store, f"r{round_number}-"))
    print(f"| tracker store, one turn on SQLite ({CONVERSATIONS * TURNS * ROUNDS} turns) | median | p95 |")
    print("|---|---|---|")
    for name, seconds in spent.items():
        ordered = sorted(seconds)
        p95 = ordered[int(len(ordered) * 0.95)]
        print(f"| {name} | {statistics.median(ordered) * 1000:.2f} ms | {p95 * 1000:.2f} ms |")


if __name__ == "__main__":
    main()
