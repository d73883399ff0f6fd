"""Faults of the production topology (three Rasa servers, PostgreSQL, Redis,
behind the proxy), each with the citizen's side of it: a polite Vietnamese
reply, never silence, and the conversation going on once the fault is gone.

The Rasa server test kills a server and leaves it dead: it runs last.
Elsewhere: a platform API timing out is retried with back-off
(tests/engine/channels: test_zalo_oa_outbound.py, test_telegram.py,
test_zalo_bot.py); the notifier's retries are in tests/app/test_dossier_notifier.py."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import ThreadingHTTPServer

import httpx

from tests.e2e.conftest import Chat, texts
from tests.e2e.production import Production
from tests.e2e.test_production import tracker_turns
from tests.support import QuietHandler

BUSY = "hệ thống đang bận"
QUESTION = "lam giay khai sinh can gi"
ANSWER = "Giấy chứng sinh"


def say(production: Production, chat: Chat, message: str) -> tuple[int, str]:
    """One message through the web relay: its status and what the citizen reads."""
    response = httpx.post(
        f"{production.webchat_url}/api/chat",
        json={"session": chat._session, "message": message},
        headers=chat._headers,
        timeout=60,
    )
    body = response.json()
    return response.status_code, body.get("error", "") if isinstance(body, dict) else texts(body)


def test_the_action_server_down_gets_a_polite_reply_then_answers(production: Production):
    chat = Chat(production)
    production.processes.stop("action-1")
    try:
        assert BUSY in texts(chat.say(QUESTION))
    finally:
        production.processes.start("action-1")
    assert ANSWER in texts(chat.say(QUESTION))


def test_a_slow_action_server_gets_a_polite_reply_then_answers(production: Production):
    """An action server that hangs: the balancer gives up after 20 s, before the relay does."""
    port = int(production.processes.ready["action-1"].split(":")[2].split("/")[0])  # type: ignore[union-attr]

    class Hanging(QuietHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length") or 0))
            time.sleep(40)
            self.reply(200)

    chat = Chat(production)
    production.processes.stop("action-1")
    hanging = ThreadingHTTPServer(("127.0.0.1", port), Hanging)
    threading.Thread(target=hanging.serve_forever, daemon=True).start()
    try:
        status, said = say(production, chat, QUESTION)
        assert status in (200, 503) and BUSY in said
    finally:
        hanging.shutdown()
        hanging.server_close()
        production.processes.start("action-1")
    assert ANSWER in texts(chat.say(QUESTION))


def test_the_database_unreachable_for_30_seconds_fails_cleanly_then_recovers(production: Production):
    chat = Chat(production)
    assert ANSWER in texts(chat.say(QUESTION))
    production.database.cut()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status, said = say(production, chat, QUESTION)
            assert status in (200, 503) and said.startswith("Dạ"), (status, said)
            time.sleep(3)
    finally:
        production.database.restore()
    # No restart: the next messages are answered again (the first ones may still meet a dropped connection).
    deadline = time.monotonic() + 30
    while ANSWER not in (said := say(production, chat, QUESTION)[1]) and time.monotonic() < deadline:
        assert said.startswith("Dạ")
        time.sleep(1)
    assert ANSWER in said
    assert ANSWER in texts(chat.say(QUESTION))


def test_a_redis_restart_mid_conversation_goes_unnoticed(production: Production):
    chat = Chat(production)
    assert ANSWER in texts(chat.say(QUESTION))
    production.redis.stop()
    production.redis.start()
    assert ANSWER in texts(chat.say(QUESTION))
    asked = [said for kind, said in tracker_turns(production, chat.sender) if kind == "user"]
    assert asked[0] == QUESTION and len(asked) >= 2


def _callback_say(production: Production, sender: str, message: str) -> None:
    response = httpx.post(
        f"{production.rasa_url}/webhooks/callback/webhook", json={"sender": sender, "message": message}, timeout=60
    )
    assert response.status_code == 200


def test_a_dossier_event_accepted_while_the_notifier_cannot_deliver_is_delivered_later(production: Production):
    """The event is accepted while the notifier's way to Rasa is down and the
    console (the notifier's process) is then killed: the outbox, in PostgreSQL,
    delivers it once both are back (its first retry is a minute later)."""
    from tests.e2e.test_dossiers import CODE, push

    sender = "callback-production-1"
    assert push(production, event_id="prod-seed").status_code in (200, 202)
    _callback_say(production, sender, CODE)
    assert "Hồ sơ đang được giải quyết" in production.callback.wait_for(sender, 1)[0]["text"]
    _callback_say(production, sender, f'/subscribe_status{{"dossier_code": "{CODE}"}}')
    production.callback.wait_for(sender, 2)
    _callback_say(production, sender, "6789")
    assert "em sẽ nhắn anh/chị" in production.callback.wait_for(sender, 3)[-1]["text"]

    production.processes.stop("nginx")  # the notifier reaches Rasa through the balancer
    try:
        accepted = push(
            production, event_id="prod-ready", status="result_ready", occurred_at="2024-09-09T15:00:00+07:00"
        )
        assert accepted.status_code == 202
        production.processes.kill("console")
        production.processes.start("console")
        time.sleep(3)
        assert len(production.callback.messages[sender]) == 3  # not delivered, not lost
    finally:
        production.processes.start("nginx")
    delivered = production.callback.wait_for(sender, 4, seconds=150)
    assert len(delivered) == 4 and "Hồ sơ đã có kết quả" in delivered[3]["text"]


def test_a_killed_rasa_server_hands_its_citizens_to_another_with_their_history(production: Production):
    citizens = [Chat(production) for _ in range(20)]
    with ThreadPoolExecutor(max_workers=10) as pool:
        first = list(pool.map(lambda chat: texts(chat.say(QUESTION)), citizens))
        assert all(ANSWER in reply for reply in first)
        # Under load: the second messages are on their way when a server dies.
        second = [pool.submit(say, production, chat, "le phi bao nhieu") for chat in citizens]
        production.processes.kill(production.rasa_servers[1])
        for future in second:
            status, said = future.result()
            assert said and (status == 200 or BUSY in said), (status, said)  # answered, or told politely
        third = list(pool.map(lambda chat: say(production, chat, QUESTION), citizens))

    assert all(status == 200 and ANSWER in said for status, said in third), third
    for chat in citizens:
        asked = [said for kind, said in tracker_turns(production, chat.sender) if kind == "user"]
        assert asked[0] == QUESTION and asked[-1] == QUESTION  # the history before the kill is kept
    # Some of these conversations lived on the killed server: the proxy found it refusing.
    nginx_log = (production.processes.logs["nginx"].parent / "nginx" / "error.log").read_text()
    killed = production.processes.commands[production.rasa_servers[1]][-2]
    assert f"127.0.0.1:{killed}" in nginx_log
