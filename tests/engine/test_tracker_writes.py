"""engine.tracker_writes: the same rows as Rasa's own SQL tracker store, written
without re-counting the conversation on every save, SQLite in WAL mode, and on
PostgreSQL without a transaction around each single statement."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

from psycopg2.extensions import TRANSACTION_STATUS_IDLE
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, event, text

from engine.tracker_store import sql_options
from engine.tracker_writes import CountedSQLTrackerStore

POSTGRES = os.environ.get("TTHC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test").replace(
    "+psycopg:", "+psycopg2:"
)

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


def test_a_new_conversation_is_not_counted_and_an_existing_one_is_read_not_created(tmp_path: Path):
    """Rasa creates a tracker only when the read found no event: nothing to count."""
    store = CountedSQLTrackerStore(dialect="sqlite", db=str(tmp_path / "tracker.db"))
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *args: statements.append(args[2].lower()))

    async def first_turns() -> tuple[DialogueStateTracker, DialogueStateTracker]:
        created = await store.get_or_create_tracker(SENDER)
        read = await store.get_or_create_tracker(SENDER)
        return created, read

    created, read = asyncio.run(first_turns())
    assert statements and not any("count(" in s for s in statements)
    assert [e.as_dict() for e in read.events] == [e.as_dict() for e in created.events]
    assert [row[1] for row in _rows(tmp_path / "tracker.db")] == ["action"]  # action_listen, once


def test_statements_run_on_the_stores_thread_not_the_event_loop(tmp_path: Path):
    """While the database works (PostgreSQL flushing its log), the server answers others."""
    store = CountedSQLTrackerStore(dialect="sqlite", db=str(tmp_path / "tracker.db"))
    threads: set[int] = set()
    event.listen(store.engine, "before_cursor_execute", lambda *args: threads.add(threading.get_ident()))
    asyncio.run(_converse(store))
    assert threads and threading.get_ident() not in threads


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


@contextlib.contextmanager
def _postgres_schemas(count: int) -> Iterator[list[dict]]:
    """Rasa's store options for ``count`` fresh schemas of the test database, dropped afterwards."""
    admin = create_engine(POSTGRES)
    names = [f"test_{uuid.uuid4().hex[:12]}" for _ in range(count)]
    with admin.begin() as connection:
        for name in names:
            connection.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield [sql_options(f"{POSTGRES}?options=-csearch_path%3D{name}") for name in names]
    finally:
        with admin.begin() as connection:
            for name in names:
                connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def _postgres_rows(store: SQLTrackerStore) -> list[tuple]:
    query = "SELECT sender_id, type_name, timestamp, intent_name, action_name, data FROM events ORDER BY id"
    with store.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(query))]


def test_on_postgresql_the_rows_are_rasas_and_no_statement_leaves_a_transaction_open():
    """Each read is one SELECT and each save one INSERT: with Rasa's store each also
    costs a BEGIN and a COMMIT or ROLLBACK round trip; here it commits itself."""
    with _postgres_schemas(2) as (rasa_options, our_options):
        rasa, ours = SQLTrackerStore(**rasa_options), CountedSQLTrackerStore(**our_options)
        open_after: list[bool] = []
        event.listen(
            ours.engine,
            "after_cursor_execute",
            lambda connection, *_: open_after.append(
                connection.connection.dbapi_connection.info.transaction_status != TRANSACTION_STATUS_IDLE
            ),
        )
        asyncio.run(_converse(rasa))
        asyncio.run(_converse(ours))
        assert _postgres_rows(ours) == _postgres_rows(rasa)
        assert len(open_after) >= 2 * len(TURNS) and not any(open_after)
        rasa.engine.dispose()
        ours.engine.dispose()
