"""``python -m tests.engine.bench_tracker_writes`` (engine environment): what one
turn costs Rasa's SQL tracker store — read the tracker, add the turn's
events, save — with Rasa's own store and with engine.tracker_writes, on
SQLite (the embedded default) and on PostgreSQL (production:
``TTHC_BENCH_POSTGRES``, default the project machines' ``test`` database),
alternating in rounds so that other work on the machine weighs on both alike.
Wall time and this process's CPU time per turn (PostgreSQL's own is apart).
Figures for docs/benchmarks.md, never a test."""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from engine.tracker_writes import CountedSQLTrackerStore

CONVERSATIONS, TURNS, ROUNDS = 20, 10, 3


POSTGRES = os.environ.get("TTHC_BENCH_POSTGRES", "postgres@127.0.0.1:5432/test")


async def turns(store: SQLTrackerStore, prefix: str) -> tuple[list[float], float]:
    """Seconds per turn over ``CONVERSATIONS`` conversations of ``TURNS`` turns, and
    the process's CPU seconds for all of them."""
    spent = []
    cpu = time.process_time()
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
    return spent, time.process_time() - cpu


def compare(database: str, options: dict[str, Any]) -> None:
    """One table: Rasa's store against ours on the same database."""
    stores = {
        "Rasa's SQLTrackerStore": SQLTrackerStore(**options("rasa")),
        "engine.tracker_writes": CountedSQLTrackerStore(**options("ours")),
    }
    spent: dict[str, list[float]] = {name: [] for name in stores}
    cpu = dict.fromkeys(stores, 0.0)
    run = uuid.uuid4().hex[:6]
    for round_number in range(ROUNDS):
        for name, store in stores.items():
            seconds, cpu_seconds = asyncio.run(turns(store, f"{run}-{name[:4]}-r{round_number}-"))
            spent[name] += seconds
            cpu[name] += cpu_seconds
    print(f"| tracker store, one turn on {database} ({CONVERSATIONS * TURNS * ROUNDS} turns) | median | p95 | CPU |")
    print("|---|---|---|---|")
    for name, seconds in spent.items():
        ordered = sorted(seconds)
        p95 = ordered[int(len(ordered) * 0.95)]
        mean_cpu = cpu[name] / len(ordered) * 1000
        print(f"| {name} | {statistics.median(ordered) * 1000:.2f} ms | {p95 * 1000:.2f} ms | {mean_cpu:.2f} ms |")


def main() -> None:
    work = Path(tempfile.mkdtemp())
    compare("SQLite", lambda name: {"dialect": "sqlite", "db": str(work / f"{name}.db")})
    user, _, place = POSTGRES.partition("@")
    address, _, db = place.partition("/")
    host, _, port = address.partition(":")
    options = {"dialect": "postgresql", "host": host, "port": int(port or 5432), "db": db, "username": user}
    compare("PostgreSQL", lambda _: options)


if __name__ == "__main__":
    main()
