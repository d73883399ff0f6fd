"""Saving a turn in Rasa's SQL tracker store without the work it does not need.

Profiled under ``make bench-load --profile`` (docs/benchmarks.md), once
``engine.action_validation`` had removed the JSON-schema cost, the tracker
store was the largest cost of a Rasa server that is ours to avoid (28 % of
its samples). Two parts of every ``SQLTrackerStore.save`` go:

- **The count.** To find which events are new, ``save`` counts the events of
  the conversation's session in the database (a ``COUNT`` over a sub-query on
  the latest ``session_started``), although the tracker it saves was read
  from this store a moment earlier by the same turn. The store now notes on
  each tracker it reads, and after each save, how many of its events are
  stored, and slices from there; a tracker it did not read (a new
  conversation) is still counted. The same events are written, in the same
  order: a conversation is handled by one server at a time (the lock store,
  and the proxy's affinity with several servers), as Rasa's own count assumes.
- **The disk flushes of every turn on SQLite** (the embedded default): Rasa's
  engine opens and closes the database file for each read and each save, and
  in SQLite's default rollback journal each commit waits for ``fsync``, with
  the event loop blocked. The store keeps one connection per thread, in
  write-ahead-log mode with ``synchronous=NORMAL``: a crash of the process
  loses nothing; a power cut may lose the last turns, never the database.
- **The transactions around single statements on PostgreSQL** (production):
  a read is one ``SELECT`` and a save one ``INSERT`` of the turn's events
  (psycopg2's ``execute_values``, up to 1,000 rows a statement: a turn has a
  few), each atomic on its own. Rasa wraps each in ``BEGIN`` and ``COMMIT``
  or ``ROLLBACK``: four round trips of six. Statements now commit
  themselves (``AUTOCOMMIT``); what is written, and when it is durable, is
  unchanged.

Checked against Rasa 3.6.21 (``SQLTrackerStore._retrieve``, ``save`` and
``_additional_events``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import create_engine, event
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import SingletonThreadPool

# Set on a tracker: how many of its events (from the first) the store holds.
STORED = "_tthc_stored_events"


def _write_ahead_log(connection: Any, _: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class CountedSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` that knows what it stored instead of counting it again."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name == "sqlite":
            # SQLAlchemy 1.4 opens and closes a SQLite file per session; the last
            # close also checkpoints the log. One connection per thread stays open.
            url = self.engine.url
            self.engine.dispose()
            self.engine = create_engine(url, poolclass=SingletonThreadPool)
            event.listen(self.engine, "connect", _write_ahead_log)
        else:
            # Set once per connection: as an execution option, SQLAlchemy switches
            # every checked-out connection to it and back (3 % of a server's time).
            url = self.engine.url
            self.engine.dispose()
            self.engine = create_engine(url, isolation_level="AUTOCOMMIT", **create_engine_kwargs(url))
        self.sessionmaker = sessionmaker(bind=self.engine)

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        tracker = await super()._retrieve(sender_id, fetch_events_from_all_sessions)
        # Only the latest session is what ``save`` compares with (all sessions: count as Rasa does).
        if tracker is not None and not fetch_events_from_all_sessions:
            setattr(tracker, STORED, len(tracker.events))
        return tracker

    def _additional_events(self, session: Any, tracker: DialogueStateTracker) -> Iterator:
        stored = getattr(tracker, STORED, None)
        if stored is None:
            return super()._additional_events(session, tracker)
        return itertools.islice(tracker.events, stored, len(tracker.events))

    async def save(self, tracker: DialogueStateTracker) -> None:
        await super().save(tracker)
        setattr(tracker, STORED, len(tracker.events))
