"""Attacks on the running stack, each reproduced as the review found it, and
what the attacker (or the citizen, when something fails) now receives."""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

import httpx

from tests.e2e.conftest import ACTION_TOKEN, RASA_TOKEN, Stack, texts
from tests.e2e.test_dossiers import push

CODE = "H29.22-240903-0031"
LAST4 = "4826"
PHONE, ID_NUMBER = "0912 345 678", "001234567890"
BUSY = "hệ thống đang bận"


def _action_call(action: str, text: str) -> dict:
    """What an attacker sends straight to the action server: any action, as any conversation."""
    latest = {"text": text, "intent": {"name": "inform_code"}, "entities": []}
    tracker = {
        "sender_id": "web:attacker",
        "slots": {"dossier_code": CODE, "requested": "second_factor"},
        "latest_message": latest,
        "events": [],
        "paused": False,
        "latest_action_name": "action_listen",
        "active_loop": {},
    }
    return {"next_action": action, "sender_id": "web:attacker", "tracker": tracker, "domain": {}, "version": "3.6.21"}


def test_the_action_server_answers_only_rasa(stack: Stack):
    push(stack, event_id="sec-seed", dossier_code=CODE, applicant_phone_last4=LAST4)
    call = _action_call("action_check_second_factor", LAST4)
    wrong = ({}, {"X-Action-Token": "guess"}, {"X-Action-Token": ACTION_TOKEN[:-1]}, {"X-Action-Token": "ắ".encode()})
    for headers in wrong:
        refused = httpx.post(f"{stack.action_url}/webhook", json=call, headers=headers)
        assert refused.status_code == 401
        assert "Nguyễn" not in refused.text
    assert httpx.get(f"{stack.action_url}/actions").status_code == 401
    assert httpx.get(f"{stack.action_url}/health").status_code == 200
    allowed = httpx.post(f"{stack.action_url}/webhook", json=call, headers={"X-Action-Token": ACTION_TOKEN})
    assert allowed.status_code == 200  # Rasa's own calls still work


def test_rasa_http_api_needs_its_token(stack: Stack):
    for method, path in (("GET", "/status"), ("GET", "/conversations/web:someone/tracker"), ("PUT", "/model")):
        assert httpx.request(method, f"{stack.rasa_url}{path}", json={}).status_code == 401
        assert httpx.request(method, f"{stack.rasa_url}{path}?token=wrong", json={}).status_code == 401
    assert httpx.get(stack.api("/status")).status_code == 200


def test_secrets_are_not_on_any_command_line(stack: Stack):
    for process in stack.processes.running.values():
        cmdline = Path(f"/proc/{process.pid}/cmdline").read_bytes().decode(errors="replace")
        assert RASA_TOKEN not in cmdline
        assert ACTION_TOKEN not in cmdline


def _listening_addresses() -> dict[int, set[str]]:
    """Port -> local addresses of listening TCP sockets (from /proc/net/tcp*)."""
    listening: dict[int, set[str]] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            if state == "0A":
                address, port = local.split(":")
                listening.setdefault(int(port, 16), set()).add(address)
    return listening


def test_every_service_listens_on_loopback_only(stack: Stack):
    loopback = {"0100007F", "00000000000000000000000001000000"}
    listening = _listening_addresses()
    for url in (stack.rasa_url, stack.action_url, stack.webchat_url, stack.dossier_url):
        port = httpx.URL(url).port
        assert listening.get(port), f"nothing listens on {port}"
        assert listening[port] <= loopback, f"port {port} listens on {listening[port]}"


def _callback_say(stack: Stack, sender: str, message: str, replies: int) -> list[dict]:
    response = httpx.post(f"{stack.rasa_url}/webhooks/callback/webhook", json={"sender": sender, "message": message})
    assert response.status_code == 200
    return stack.callback.wait_for(sender, replies)


def test_no_secret_or_personal_number_in_logs_or_stored_conversations(stack: Stack):
    push(stack, event_id="sec-privacy", dossier_code=CODE, applicant_phone_last4=LAST4)
    sender = "callback-privacy"
    _callback_say(stack, sender, f"hồ sơ {CODE}, sđt của tôi {PHONE}, cccd {ID_NUMBER}", 1)
    _callback_say(stack, sender, f'/dossier_details{{"dossier_code": "{CODE}"}}', 2)
    details = _callback_say(stack, sender, LAST4, 3)
    assert "Nguyễn Văn A" in details[-1]["text"]  # the digits were right, and used
    time.sleep(1)  # Rasa saves the turn after answering
    with sqlite3.connect(stack.tracker_db) as connection:
        stored = "\n".join(row[0] for row in connection.execute("SELECT data FROM events"))
    assert CODE in stored  # the conversation is stored, with its dossier code
    # The digits as a word of their own: random hex ids ("…ef4826f9…") and scores ("0.4826") hold them by chance.
    typed = re.compile(rf"(?<![0-9A-Za-z.]){LAST4}(?![0-9A-Za-z])")
    for text in (stored, stack.processes.log_text()):
        assert not typed.search(text)
        assert PHONE not in text and PHONE.replace(" ", "") not in text
        assert ID_NUMBER not in text
        assert RASA_TOKEN not in text and ACTION_TOKEN not in text


def test_the_citizen_gets_a_reply_when_the_action_server_is_down(stack: Stack, chat):
    stack.processes.stop("actions")
    try:
        assert BUSY in texts(chat.say(CODE))
    finally:
        stack.processes.start("actions")
    assert "Hồ sơ" in texts(chat.say(CODE))


def test_the_citizen_gets_a_reply_when_the_action_servers_database_is_dead(stack: Stack, chat):
    stack.processes.stop("actions")
    try:
        stack.processes.start("actions", TTHC_DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:1/none")
        assert BUSY in texts(chat.say(CODE))
    finally:
        stack.processes.stop("actions")
        stack.processes.start("actions")
