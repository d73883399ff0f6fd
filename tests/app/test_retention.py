"""``python -m retention``: on SQLite and PostgreSQL, conversations idle for
longer than the retention period are deleted from Rasa's tracker store, older
messages of a conversation still going on lose their words (not their
intents), and unanswered questions older than the period are deleted."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, insert, inspect, select

from database import UtcDateTime, get_engine
from retention import forget_older_than
from settings import get_settings

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.timezone.utc)
DAY = 86_400.0

# Rasa 3.6.21's tracker table (rasa/core/tracker_store.py, SQLTrackerStore.SQLEvent).
_tracker = MetaData()
EVENTS = Table(
    "events",
    _tracker,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)
_app = MetaData()
UNANSWERED = Table(  # the console's table (migration 0006), when that migration is not here yet
    "unanswered_questions",
    _app,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("text", Text),
    Column("last_seen", UtcDateTime),
)


@pytest.fixture
def stores(database_url, monkeypatch):
    monkeypatch.setenv("TTHC_TRACKER_DATABASE_URL", database_url)
    get_settings.cache_clear()
    engine = get_engine(database_url)
    _tracker.create_all(engine)
    if not inspect(engine).has_table("unanswered_questions"):
        _app.create_all(engine)
    yield engine
    get_settings.cache_clear()


def _user(sender: str, days_ago: float, text: str) -> dict:
    data = {"event": "user", "text": text, "parse_data": {"text": text, "intent": {"name": "ask_procedure"},
            "entities": [{"entity": "procedure", "value": text}]}}  # fmt: skip
    when = NOW.timestamp() - days_ago * DAY
    return {"sender_id": sender, "type_name": "user", "timestamp": when, "intent_name": "ask_procedure",
            "data": json.dumps(data, ensure_ascii=False)}  # fmt: skip


def _bot(sender: str, days_ago: float) -> dict:
    data = json.dumps({"event": "bot", "text": "Dạ, giấy tờ cần chuẩn bị..."}, ensure_ascii=False)
    when = NOW.timestamp() - days_ago * DAY
    return {"sender_id": sender, "type_name": "bot", "timestamp": when, "intent_name": None, "data": data}


def _question(engine, text: str, days_ago: float) -> None:
    table = Table("unanswered_questions", MetaData(), autoload_with=engine)
    seen = NOW - dt.timedelta(days=days_ago)
    values = {"key": text, "text": text, "count": 1, "channels": {}, "reasons": {}, "cards": {}, "first_seen": seen,
              "last_seen": seen, "status": "open"}  # fmt: skip
    with engine.begin() as connection:
        connection.execute(insert(table).values({k: v for k, v in values.items() if k in table.c}))


def test_old_conversations_and_questions_are_forgotten_recent_ones_kept(stores):
    with stores.begin() as connection:
        connection.execute(insert(EVENTS), [_user("web:old", 200, "lam khai sinh"), _bot("web:old", 200)])
        connection.execute(
            insert(EVENTS), [_user("zalo_oa:going", 400, "dang ky ket hon o dau"), _bot("zalo_oa:going", 400),
                             _user("zalo_oa:going", 2, "le phi bao nhieu")],
        )  # fmt: skip
    _question(stores, "cap lai so do", days_ago=181)
    _question(stores, "xin giay phep ban ruou", days_ago=10)

    forgotten = forget_older_than(180, now=NOW)

    assert (forgotten.conversations, forgotten.messages, forgotten.rows) == (1, 1, {"unanswered_questions": 1})
    with stores.connect() as connection:
        rows = connection.execute(select(EVENTS.c.sender_id, EVENTS.c.intent_name, EVENTS.c.data)).all()
        questions = connection.execute(select(UNANSWERED.c.text)).scalars().all()
    assert {sender for sender, _, _ in rows} == {"zalo_oa:going"}  # the idle conversation is gone
    stored = "\n".join(data for _, _, data in rows)
    assert "dang ky ket hon" not in stored and "le phi bao nhieu" in stored  # older words blanked, recent kept
    assert [intent for _, intent, _ in rows if intent] == ["ask_procedure", "ask_procedure"]  # intents stay
    assert questions == ["xin giay phep ban ruou"]

    again = forget_older_than(180, now=NOW)  # idempotent
    assert (again.conversations, again.messages, again.rows) == (0, 0, {"unanswered_questions": 0})


def test_nothing_stored_yet_is_not_an_error(database_url, monkeypatch):
    monkeypatch.setenv("TTHC_TRACKER_DATABASE_URL", database_url)
    get_settings.cache_clear()
    forgotten = forget_older_than(30, now=NOW)
    assert forgotten.conversations == 0 and forgotten.messages == 0


def test_a_period_under_a_day_is_refused():
    with pytest.raises(ValueError, match="one day"):
        forget_older_than(0)
