"""engine.tracker_writes: the same rows as Rasa's own SQL tracker store, written
without re-counting the conversation on every save, and SQLite in WAL mode."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import event

from engine.tracker_writes import CountedSQLTrackerStore

SENDER = "web:4f1c"


def _user(text: str, timestamp: float) -> UserUttered:
    return UserUttered(text, {"name": "ask_procedure", "confidence": 1.0}, [], {"text": text}, timestamp=timestamp)


# Three turns; the third opens a new conversation session. Timestamps rise, as Rasa's do.
TURNS: list[list[Event]] = [
    [ActionExecuted("action_listen", timestamp=1.0), _user("làm khai sinh cần gì", 2.0),
     ActionExecuted("action_answer_procedure", timestamp=3.0), BotUttered("Dạ, hồ sơ gồm...", timestamp=4.0)],
    [SlotSet("procedure", "khai-sinh", timestamp=5.0), ActionExecuted("action_listen", timestamp=6.0),
     _user("còn lệ phí thì sao?", 7.0), BotUttered("Dạ, miễn lệ phí.", timestamp=8.0)],
    [ActionExecuted("action_session_start", timestamp=9.0), SessionStarted(timestamp=10.0),
     ActionExecuted("action_listen", timestamp=11.0), _user("xin chào", 12.0)],
]  # fmt: skip


async def _converse(store: SQLTrackerStore) -> None:
    """Each turn as Rasa's processor does it: read the tracker, add the turn's events, save."""
    for turn in TURNS:
        tracker = await store.retrieve(SENDER) or DialogueStateTracker(SENDER, slots=[])
        for e in turn:
            tracker.update(e)
        await store.save(tracker)


def _rows(path: Path) -> list[tuple]:
    with sqlite3.connect(path) as connection:
        query = "SELECT sender_id, type_name, timestamp, intent_name, action_name, data FROM events ORDER BY id"
        return connection.execute(query).fetchall()


def test_the_rows_are_those_rasas_own_store_writes(tmp_path: Path):
    asyncio.run(_converse(SQLTrackerStore(dialect="sqlite", db=str(tmp_path / "rasa.db"))))
    asyncio.run(_converse(CountedSQLTrackerStore(dialect="sqlite", db=str(tmp_path / "ours.db"))))
    assert _rows(tmp_path / "ours.db") == _rows(tmp_path / "rasa.db")
    assert len(_rows(tmp_path / "ours.db")) == sum(len(turn) for turn in TURNS)  # each event once


def test_saving_a_tracker_it_read_does_not_count_the_conversation_again(tmp_path: Path):
    store = CountedSQLTrackerStore(dialect="sqlite", db=str(tmp_path / "tracker.db"))
    asyncio.run(_converse(store))
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *args: statements.append(args[2].lower()))

    async def one_more_turn() -> None:
        tracker = await store.retrieve(SENDER)
        statements.clear()
        tracker.update(BotUttered("Dạ, em chào anh/chị.", timestamp=13.0))
        await store.save(tracker)

    asyncio.run(one_more_turn())
    assert statements and not any("count(" in s for s in statements)
    assert _rows(tmp_path / "tracker.db")[-1][1] == "bot"


def test_a_tracker_it_did_not_read_is_counted_as_rasa_does(tmp_path: Path):
    """A tracker rebuilt elsewhere (not by this store's read) carries no note: the rows are counted."""

    async def rebuilt_then_saved(store: SQLTrackerStore) -> None:
        await _converse(store)
        read = await store.retrieve(SENDER)
        rebuilt = DialogueStateTracker.from_dict(SENDER, [e.as_dict() for e in read.events], [])
        rebuilt.update(BotUttered("Dạ.", timestamp=13.0))
        await store.save(rebuilt)

    asyncio.run(rebuilt_then_saved(SQLTrackerStore(dialect="sqlite", db=str(tmp_path / "rasa.db"))))
    asyncio.run(rebuilt_then_saved(CountedSQLTrackerStore(dialect="sqlite", db=str(tmp_path / "ours.db"))))
    assert _rows(tmp_path / "ours.db") == _rows(tmp_path / "rasa.db")
    assert [row[1] for row in _rows(tmp_path / "ours.db")].count("bot") == 3  # the two earlier and this one


def test_sqlite_commits_use_the_write_ahead_log(tmp_path: Path):
    path = tmp_path / "tracker.db"
    asyncio.run(_converse(CountedSQLTrackerStore(dialect="sqlite", db=str(path))))
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
