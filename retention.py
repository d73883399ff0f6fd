"""``python -m retention [--days N]``: forget conversations and unanswered
questions older than ``TTHC_RETENTION_DAYS`` (180 by default).

Run it daily (cron, a systemd timer). In Rasa's tracker store
(``TTHC_TRACKER_DATABASE_URL``):

- a conversation whose last event is older than N days is deleted whole;
- in a conversation still going on, the texts of the citizen's messages
  older than N days are blanked (their intents stay), so its history remains
  a valid tracker for Rasa.

In the app database (``TTHC_DATABASE_URL``), rows of ``RETAINED`` older than
N days are deleted. A table that does not exist yet is skipped, so the list
can name a table before its migration is everywhere.

Why here, a top-level module of the app environment: it spans the engine's
store and the app's, and needs neither Rasa nor the app's models, only SQL
on two databases (``database.get_engine``, Rasa's ``events`` table as Rasa
3.6.21 makes it: ``sender_id``, ``type_name``, ``timestamp`` in epoch
seconds, ``data`` as JSON text).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
from dataclasses import dataclass

from sqlalchemy import Engine, MetaData, Table, bindparam, inspect, text

from database import get_engine
from settings import get_settings

logger = logging.getLogger(__name__)

# App tables holding what citizens wrote, each with the column that says how
# recent a row is. The unanswered questions come from the console
# (migration 0006); add a table here when a new one keeps citizens' words.
RETAINED = {"unanswered_questions": "last_seen"}
BATCH = 500
# "timestamp" quoted: a type name in PostgreSQL.
IDLE_CONVERSATIONS = 'SELECT sender_id FROM events GROUP BY sender_id HAVING MAX("timestamp") < :limit'
OLD_MESSAGES = "SELECT id, data FROM events WHERE type_name = 'user' AND \"timestamp\" < :limit"


@dataclass(frozen=True)
class Forgotten:
    conversations: int  # deleted whole
    messages: int  # blanked in conversations still going on
    rows: dict[str, int]  # app table -> rows deleted

    def __str__(self) -> str:
        tables = ", ".join(f"{table}: {count}" for table, count in self.rows.items()) or "no retained table yet"
        return (
            f"{self.conversations} conversations deleted, {self.messages} older messages blanked; "
            f"app database: {tables}"
        )


def forget_older_than(days: int, now: dt.datetime | None = None) -> Forgotten:
    """Apply the retention period to both databases; returns what was forgotten."""
    if days < 1:
        raise ValueError("the retention period is at least one day")
    cutoff = (now or dt.datetime.now(dt.timezone.utc)) - dt.timedelta(days=days)
    settings = get_settings()
    conversations, messages = _forget_conversations(get_engine(settings.tracker_database_url), cutoff)
    return Forgotten(conversations, messages, _forget_rows(get_engine(settings.database_url), cutoff))


def _forget_conversations(engine: Engine, cutoff: dt.datetime) -> tuple[int, int]:
    if not inspect(engine).has_table("events"):
        return 0, 0  # Rasa has not stored a conversation yet
    limit = cutoff.timestamp()
    with engine.begin() as connection:
        idle = connection.execute(text(IDLE_CONVERSATIONS), {"limit": limit}).scalars().all()
        for start in range(0, len(idle), BATCH):
            connection.execute(
                text("DELETE FROM events WHERE sender_id IN :senders").bindparams(bindparam("senders", expanding=True)),
                {"senders": idle[start : start + BATCH]},
            )
        old = connection.execute(text(OLD_MESSAGES), {"limit": limit}).all()
        blanked = [(row_id, blank) for row_id, data in old if (blank := _blanked(data)) is not None]
        if blanked:
            connection.execute(
                text("UPDATE events SET data = :data WHERE id = :id"), [{"id": i, "data": d} for i, d in blanked]
            )
    return len(idle), len(blanked)


def _blanked(data: str) -> str | None:
    """The event's JSON without the citizen's words; None when there are none left."""
    event = json.loads(data)
    parse_data = event.get("parse_data") if isinstance(event.get("parse_data"), dict) else {}
    if not event.get("text") and not parse_data.get("text"):
        return None
    event["text"] = ""
    if parse_data:
        parse_data["text"] = ""
        parse_data.pop("entities", None)  # an entity carries the words it was found in
    return json.dumps(event, ensure_ascii=False)


def _forget_rows(engine: Engine, cutoff: dt.datetime) -> dict[str, int]:
    existing = set(inspect(engine).get_table_names())
    counts: dict[str, int] = {}
    with engine.begin() as connection:
        for name, column in RETAINED.items():
            if name not in existing:
                continue
            table = Table(name, MetaData(), autoload_with=connection)
            counts[name] = connection.execute(table.delete().where(table.c[column] < cutoff)).rowcount
    return counts


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser(prog="python -m retention", description=__doc__)
    parser.add_argument("--days", type=int, default=None, help="default: TTHC_RETENTION_DAYS")
    args = parser.parse_args()
    days = args.days if args.days is not None else get_settings().retention_days
    logger.info("Retention of %d days: %s", days, forget_older_than(days))


if __name__ == "__main__":
    main()
