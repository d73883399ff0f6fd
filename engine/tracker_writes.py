"""Rasa's SQL tracker store without the work it does not need.

Profiled under ``make bench-load --profile`` (docs/benchmarks.md), once
``engine.action_validation`` had removed the JSON-schema cost, the tracker
store was the largest cost of a Rasa server that is ours to avoid (28 % of
its samples). What goes:

- **The count.** To find which events are new, ``save`` counts the events of
  the conversation's session in the database (a ``COUNT`` over a sub-query on
  the latest ``session_started``), although the tracker it saves was read
  from this store a moment earlier by the same turn, or was just created for a
  conversation the store had no event of. The store notes on each such
  tracker, and after each save, how many of its events are stored, and slices
  from there; any other tracker is still counted. The same events are
  written, in the same order: a conversation is handled by one server at a
  time (the lock store, and the proxy's affinity with several servers), as
  Rasa's own count assumes.
- **The ORM.** Rasa builds its read as an ORM query (a sub-query, a filter, an
  order) and writes through the ORM's unit of work, for every turn;
  SQLAlchemy then derives each statement's cache key again. The read is now
  one fixed SQL text (the same ``SELECT`` Rasa's query compiles to) and the
  save one Core ``INSERT`` of the turn's events (on PostgreSQL, psycopg2's
  ``execute_values``: one statement).
- **The disk flushes of every turn on SQLite** (the embedded default): Rasa's
  engine opens and closes the database file for each read and each save, and
  in SQLite's default rollback journal each commit waits for ``fsync``. The
  store keeps one connection, in write-ahead-log mode with
  ``synchronous=NORMAL``: a crash of the process loses nothing; a power cut
  may lose the last turns, never the database.
- **The transactions around single statements on PostgreSQL** (production):
  a read is one ``SELECT`` and a save one ``INSERT``, each atomic on its own.
  Rasa wraps each in ``BEGIN`` and ``COMMIT`` or ``ROLLBACK``: four round
  trips of six. Statements now commit themselves (``AUTOCOMMIT``); what is
  written, and when it is durable, is unchanged.
- **The wait on the event loop.** Rasa's store is ``async`` but calls the
  database synchronously: while PostgreSQL flushed a turn's ``INSERT`` to its
  log, the whole server stood still (7 % of a production server's samples).
  Statements now run on the store's own thread, one at a time, while the
  event loop goes on with other conversations.

Checked against Rasa 3.6.21 (``SQLTrackerStore._retrieve``, ``_event_query``,
``save``, ``_additional_events`` and ``TrackerStore.create_tracker``, which
Rasa calls only when ``retrieve`` found no event of the conversation).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy import create_engine, event, text
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import SingletonThreadPool

_T = TypeVar("_T")

# Set on a tracker: how many of its events (from the first) the store holds.
STORED = "_tthc_stored_events"
SESSION_STARTED = SessionStarted.type_name
# What Rasa's ``_event_query`` compiles to: the events from the latest
# ``session_started`` on (all of them when there is none), in the order stored.
_FROM_LATEST_SESSION = """
FROM events, (
    SELECT max(timestamp) AS session_start FROM events
    WHERE sender_id = :sender_id AND type_name = :started
) AS latest
WHERE events.sender_id = :sender_id
  AND (events.timestamp >= latest.session_start OR latest.session_start IS NULL)
"""
_LATEST_SESSION = text(f"SELECT events.data {_FROM_LATEST_SESSION} ORDER BY events.id")
_COUNT_LATEST_SESSION = text(f"SELECT count(*) {_FROM_LATEST_SESSION}")
_ALL_SESSIONS = text("SELECT data FROM events WHERE sender_id = :sender_id ORDER BY id")
_UNSEEN_LIMIT = 10_000  # reads that never lead to a new tracker (``exists``) cannot grow it without end


def _write_ahead_log(connection: Any, _: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class CountedSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` that knows what it stored instead of counting it again."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        if self.engine.dialect.name == "sqlite":
            # SQLAlchemy 1.4 opens and closes a SQLite file per session; the last
            # close also checkpoints the log. The store's one thread keeps one open.
            self.engine = create_engine(url, poolclass=SingletonThreadPool)
            event.listen(self.engine, "connect", _write_ahead_log)
        else:
            # Set once per connection: as an execution option, SQLAlchemy switches
            # every checked-out connection to it and back (3 % of a server's time).
            self.engine = create_engine(url, isolation_level="AUTOCOMMIT", **create_engine_kwargs(url))
        self.sessionmaker = sessionmaker(bind=self.engine)
        self._insert = self.SQLEvent.__table__.insert()
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tracker-store")
        # Conversations whose read found no event, until Rasa creates their tracker.
        self._unseen: set[str] = set()

    async def _run(self, work: Callable[..., _T], *args: Any) -> _T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, work, *args)

    def _read(self, sender_id: str, all_sessions: bool) -> list[str]:
        with self.engine.connect() as connection:
            query = _ALL_SESSIONS if all_sessions else _LATEST_SESSION
            return list(connection.execute(query, {"sender_id": sender_id, "started": SESSION_STARTED}).scalars())

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        rows = await self._run(self._read, sender_id, fetch_events_from_all_sessions)
        if not rows:
            if not fetch_events_from_all_sessions and len(self._unseen) < _UNSEEN_LIMIT:
                self._unseen.add(sender_id)
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, [json.loads(row) for row in rows], self.domain.slots)
        # Only the latest session is what ``save`` compares with (all sessions: count as Rasa does).
        if not fetch_events_from_all_sessions:
            setattr(tracker, STORED, len(rows))
        return tracker

    def init_tracker(self, sender_id: str) -> DialogueStateTracker:
        tracker = super().init_tracker(sender_id)
        if sender_id in self._unseen:
            self._unseen.discard(sender_id)
            setattr(tracker, STORED, 0)
        return tracker

    def _count(self, sender_id: str) -> int:
        with self.engine.connect() as connection:
            values = {"sender_id": sender_id, "started": SESSION_STARTED}
            return int(connection.execute(_COUNT_LATEST_SESSION, values).scalar_one())

    def _write(self, rows: list[dict[str, Any]]) -> None:
        with self.engine.begin() as connection:
            connection.execute(self._insert, rows)

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        stored = getattr(tracker, STORED, None)
        if stored is None:
            stored = await self._run(self._count, tracker.sender_id)
        rows = [_row(tracker.sender_id, e) for e in itertools.islice(tracker.events, stored, len(tracker.events))]
        if rows:
            await self._run(self._write, rows)
        setattr(tracker, STORED, len(tracker.events))


def _row(sender_id: str, event: Event) -> dict[str, Any]:
    """The ``events`` row Rasa's ``save`` writes for an event."""
    data = event.as_dict()
    return {
        "sender_id": sender_id,
        "type_name": event.type_name,
        "timestamp": data.get("timestamp"),
        "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
        "action_name": data.get("name"),
        "data": json.dumps(data),
    }
