"""``make run-prod``'s topology, running: three Rasa servers behind the proxy
on PostgreSQL and Redis. A conversation works through the public door, and a
burst of 50 messages into one conversation is answered turn by turn: the
proxy's affinity sends them all to one server, whose lock takes them in turn
(Rasa's open-source Redis lock alone would let three servers interleave)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import create_engine, text

from tests.e2e.conftest import Chat, texts
from tests.e2e.production import Production

BURST = 50


def tracker_turns(production: Production, sender: str) -> list[tuple[str, str]]:
    """The stored user and bot events of a conversation, in the order Rasa saved them."""
    engine = create_engine(production.database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT type_name, data FROM events"
                    " WHERE sender_id = :s AND type_name IN ('user', 'bot') ORDER BY id"
                ),
                {"s": sender},
            ).all()
    finally:
        engine.dispose()
    return [(kind, json.loads(data).get("text") or "") for kind, data in rows]


def catalog_codes(production: Production, count: int) -> list[str]:
    """National catalog entries no card cites: each gets an answer that names its code."""
    engine = create_engine(production.database_url)
    try:
        with engine.connect() as connection:
            cards = " ".join(json.dumps(row[0]) for row in connection.execute(text("SELECT data FROM cards")))
            codes = connection.execute(
                text("SELECT code FROM catalog_entries WHERE scope = 'national' AND NOT withdrawn ORDER BY code")
            ).scalars()
            return [code for code in codes if code not in cards][:count]
    finally:
        engine.dispose()


def test_a_web_chat_conversation_works_through_the_proxy(production: Production):
    session = httpx.post(f"{production.proxy_url}/api/session", timeout=10)
    assert session.status_code == 200
    token = session.json()["session"]
    for message, expected in [("xin chào", "anh/chị"), ("lam giay khai sinh can gi", "Giấy chứng sinh")]:
        reply = httpx.post(f"{production.proxy_url}/api/chat", json={"session": token, "message": message}, timeout=60)
        assert reply.status_code == 200, reply.text
        assert expected in texts(reply.json())


def test_a_burst_into_one_conversation_is_answered_turn_by_turn(production: Production):
    chat = Chat(production)
    codes = catalog_codes(production, BURST)
    assert len(codes) == BURST
    with ThreadPoolExecutor(max_workers=BURST) as pool:
        replies = list(pool.map(lambda code: texts(chat.say(f"thủ tục {code}")), codes))

    for code, reply in zip(codes, replies, strict=True):
        assert f"mã {code}" in reply  # every turn answered, with its own answer

    turns = tracker_turns(production, chat.sender)
    asked = [said for kind, said in turns if kind == "user"]
    assert sorted(asked) == sorted(f"thủ tục {code}" for code in codes)  # each once
    # In order: each message's answers come right after it, before the next message.
    current = None
    for kind, said in turns:
        if kind == "user":
            current = said.removeprefix("thủ tục ")
        elif "(mã " in said:
            assert f"mã {current}" in said, f"an answer to another message follows {current}"
