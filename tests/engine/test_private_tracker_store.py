"""What Rasa's tracker store keeps of a conversation that looked up a dossier:
no second-factor digits, no phone or ID number; the dossier code stays."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path

from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from engine.tracker_store import PrivateSQLTrackerStore

CODE = "H29.22-240903-0007"


def _user(text: str) -> UserUttered:
    return UserUttered(text, {"name": "inform_code", "confidence": 1.0}, [], {"text": text})


def _conversation() -> DialogueStateTracker:
    tracker = DialogueStateTracker("telegram:42", slots=[])
    for event in [
        _user(f"hồ sơ {CODE} của tôi, sđt 0912 345 678, cccd 001234567890"),
        ActionExecuted("action_ask_second_factor"),
        BotUttered("Dạ, anh/chị cho em xin 4 chữ số cuối..."),
        SlotSet("requested", "second_factor"),
        ActionExecuted("action_listen"),
        _user("6789"),
        ActionExecuted("action_check_second_factor"),
        SlotSet("requested", None),
        ActionExecuted("action_listen"),
        _user("cảm ơn, năm 2024 tôi nộp"),
    ]:
        tracker.update(event)
    return tracker


def test_stored_rows_hold_no_digits_of_the_second_factor_or_personal_numbers(tmp_path: Path):
    path = tmp_path / "tracker.db"
    store = PrivateSQLTrackerStore(dialect="sqlite", db=str(path))
    asyncio.run(store.save(_conversation()))
    with sqlite3.connect(path) as connection:
        events = [json.loads(row[0]) for row in connection.execute("SELECT data FROM events")]
    # Not the timestamps: their digits may spell any four ("…2.126789").
    stored = "\n".join(json.dumps({k: v for k, v in e.items() if k != "timestamp"}, ensure_ascii=False) for e in events)
    assert "6789" not in stored
    assert "0912" not in stored and "345 678" not in stored
    assert "001234567890" not in stored
    assert CODE in stored  # staff need the code
    assert "2024" in stored  # only answers to the second-factor question lose every digit


def test_masking_keeps_the_turn_order_and_count(tmp_path: Path):
    store = PrivateSQLTrackerStore(dialect="sqlite", db=str(tmp_path / "tracker.db"))
    asyncio.run(store.save(_conversation()))
    restored = asyncio.run(store.retrieve("telegram:42"))
    texts = [e.text for e in restored.events if isinstance(e, UserUttered)]
    assert texts[1] == "****"
    assert len(restored.events) == len(_conversation().events)
