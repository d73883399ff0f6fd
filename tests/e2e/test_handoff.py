"""Handoff to a person through the running stack: a web chat citizen asks for
a person; a staff member logs in to the console, takes the conversation (the
assistant pauses), replies (the page shows it), hands back with a note (the
assistant answers again). The same over the Zalo OA, Zalo Bot and Telegram
connectors, with the reply checked as sent to each platform's API."""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import time
from urllib.parse import parse_qs

import httpx
import pytest

from console.accounts import create_account
from handoff import store
from tests.e2e.conftest import (
    RASA_TOKEN,
    TELEGRAM_SECRET,
    TELEGRAM_TOKEN,
    ZALO_BOT_SECRET,
    ZALO_BOT_TOKEN,
    ZALO_OA_APP_ID,
    ZALO_OA_SECRET,
    Chat,
    button_titles,
    texts,
)

PASSWORD = "mat-khau-can-bo-1234"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Staff:
    """A staff member's browser session with the console, over HTTP."""

    def __init__(self, stack, username: str) -> None:
        self.http = httpx.Client(base_url=stack.dossier_url, follow_redirects=False, timeout=60)
        token = self._csrf(self.http.get("/login").text)
        response = self.http.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": token})
        assert response.status_code == 303, response.text
        self.token = self._csrf(self.http.get("/inbox").text)

    @staticmethod
    def _csrf(html: str) -> str:
        found = _CSRF.search(html)
        assert found, html[:500]
        return found.group(1)

    def post(self, path: str, **fields: str) -> httpx.Response:
        return self.http.post(path, data={"csrf_token": self.token, **fields})


@pytest.fixture(scope="module")
def staff_accounts(stack):
    for name in ("canbo.lan", "canbo.minh"):
        create_account(name, PASSWORD, "staff")
    return stack


def wait_for_updates(chat: Chat, after: float = 0, seconds: float = 20) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        got = chat.updates(after)
        if got["messages"] or time.monotonic() > deadline:
            return got
        time.sleep(0.5)


def test_a_web_citizen_gets_a_person_and_then_the_assistant_again(stack, staff_accounts, chat):
    asked = texts(chat.say("cho tôi gặp cán bộ"))
    assert "chuyển câu hỏi của anh/chị cho cán bộ" in asked
    assert "15 phút" in asked and "1900 0000" in asked
    conversation = chat.sender
    assert store.open_request_of(conversation).state == "waiting"
    # A bare number right after is a phone number to call back (not a dossier code's digits).
    assert "đã ghi lại số điện thoại" in texts(chat.say("0912 345 678"))

    lan, minh = Staff(stack, "canbo.lan"), Staff(stack, "canbo.minh")
    listing = lan.http.get("/inbox").text
    assert f'href="/inbox/{conversation}"' in listing
    assert "cho tôi gặp cán bộ" in listing  # the last messages
    assert "Web" in listing and "Công dân yêu cầu" in listing
    assert "09******78" in listing and "0912345678" not in listing and "0912 345 678" not in listing
    assert "0912345678" in lan.http.get(f"/inbox/{conversation}").text  # whole inside the conversation only

    assert lan.post(f"/inbox/{conversation}/take").headers["location"] == f"/inbox/{conversation}"
    # The second staff member is told someone else was first.
    assert minh.post(f"/inbox/{conversation}/take").headers["location"] == f"/inbox/{conversation}?error=taken"
    assert store.open_request_of(conversation).taken_by == "canbo.lan"

    # Paused: the assistant stays silent, no busy notice either.
    assert chat.say("alo, có ai ở đó không ạ") == []
    page = lan.http.get(f"/inbox/{conversation}").text
    assert "alo, có ai ở đó không ạ" in page  # the whole history
    assert "canbo.lan đang hỗ trợ" in page

    # Only the taker may reply.
    assert minh.post(f"/inbox/{conversation}/reply", text="xin chào").headers["location"].endswith("error=not_yours")
    reply = "Dạ, em là cán bộ Lan. Anh/chị cần hỗ trợ thủ tục nào ạ?"
    assert lan.post(f"/inbox/{conversation}/reply", text=reply).headers["location"] == f"/inbox/{conversation}"
    got = wait_for_updates(chat)
    assert got["messages"] == [{"text": reply, "from": "staff"}]
    assert chat.updates(got["after"])["messages"] == []  # shown once
    assert reply in lan.http.get(f"/inbox/{conversation}/messages").text

    # Handing back needs an outcome note.
    refused = lan.post(f"/inbox/{conversation}/close", outcome="  ")
    assert refused.headers["location"].endswith("error=outcome")
    closed = lan.post(f"/inbox/{conversation}/close", outcome="Đã hướng dẫn hồ sơ khai sinh")
    assert closed.headers["location"] == "/inbox"
    back = wait_for_updates(chat, got["after"])
    assert back["messages"][0]["from"] == "assistant"
    assert "tiếp tục hỗ trợ" in back["messages"][0]["text"]

    # The assistant answers again.
    assert button_titles(chat.say("xin chào"))[:2] == ["Hỏi thủ tục", "Tra cứu hồ sơ"]
    assert store.open_request_of(conversation) is None
    assert store.latest_for(conversation).outcome == "Đã hướng dẫn hồ sơ khai sinh"


def test_the_inbox_needs_a_staff_log_in(stack):
    anonymous = httpx.get(f"{stack.dossier_url}/inbox", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    api = httpx.get(f"{stack.dossier_url}/inbox/card-answer?name=x", headers={"accept": "application/json"})
    assert api.status_code == 401


def test_a_reply_without_the_csrf_token_is_refused(stack, staff_accounts, chat):
    chat.say("cho tôi gặp cán bộ")
    lan = Staff(stack, "canbo.lan")
    response = lan.http.post(f"/inbox/{chat.sender}/take", data={})
    assert response.status_code == 403
    assert store.open_request_of(chat.sender).state == "waiting"


_deliveries = itertools.count(1)


class ZaloOACitizen:
    """A citizen writing to the Official Account: signed events, as Zalo sends them."""

    channel, sent_path = "zalo_oa", "/v3.0/oa/message/cs"

    def __init__(self, stack, user: str) -> None:
        self.stack, self.user = stack, user
        self.conversation = f"zalo_oa:{user}"

    def say(self, text: str) -> None:
        stamp = str(int(time.time() * 1000))
        event = {
            "app_id": ZALO_OA_APP_ID,
            "event_name": "user_send_text",
            "timestamp": stamp,
            "sender": {"id": self.user},
            "recipient": {"id": "388613280878808645"},
            "message": {"text": text, "msg_id": f"e2e-msg-{next(_deliveries)}"},
        }
        raw = json.dumps(event, ensure_ascii=False).encode()
        mac = hashlib.sha256(ZALO_OA_APP_ID.encode() + raw + stamp.encode() + ZALO_OA_SECRET.encode()).hexdigest()
        headers = {"content-type": "application/json", "x-zevent-signature": f"mac={mac}"}
        answer = httpx.post(f"{self.stack.rasa_url}/webhooks/zalo_oa/webhook", content=raw, headers=headers)
        assert answer.status_code == 200, answer.text

    def received(self) -> list[dict]:
        """The exact bodies sent to Zalo's consultation-message API for this citizen."""
        bodies = [json.loads(b) for b in self.stack.platforms.sent(self.sent_path)]
        return [b for b in bodies if b["recipient"]["user_id"] == self.user]


class ZaloBotCitizen:
    """A citizen writing to the Zalo Bot: events with the webhook's secret header."""

    channel, sent_path = "zalo_bot", f"/bot{ZALO_BOT_TOKEN}/sendMessage"

    def __init__(self, stack, user: str) -> None:
        self.stack, self.user = stack, user
        self.conversation = f"zalo_bot:{user}"

    def say(self, text: str) -> None:
        number = next(_deliveries)
        message = {
            "from": {"id": self.user, "display_name": "Ted", "is_bot": False},
            "chat": {"id": self.user, "chat_type": "PRIVATE"},
            "text": text,
            "message_id": f"e2e-zb-{number}",
            "date": int(time.time() * 1000),
        }
        event = {"ok": True, "result": {"event_name": "message.text.received", "message": message}}
        headers = {"x-bot-api-secret-token": ZALO_BOT_SECRET}
        answer = httpx.post(f"{self.stack.rasa_url}/webhooks/zalo_bot/webhook", json=event, headers=headers)
        assert answer.status_code == 200, answer.text

    def received(self) -> list[dict]:
        """The exact JSON bodies sent to the Zalo Bot API's sendMessage for this chat."""
        bodies = [json.loads(b) for b in self.stack.platforms.sent(self.sent_path)]
        return [b for b in bodies if b["chat_id"] == self.user]


class TelegramCitizen:
    """A citizen writing to the bot: updates with the webhook's secret header."""

    channel, sent_path = "telegram", f"/bot{TELEGRAM_TOKEN}/sendMessage"

    def __init__(self, stack, user: str) -> None:
        self.stack, self.user = stack, user
        self.conversation = f"telegram:{user}"

    def say(self, text: str) -> None:
        number = next(_deliveries)
        person = {"id": int(self.user), "is_bot": False, "first_name": "Lan"}
        update = {
            "update_id": 900000000 + number,
            "message": {
                "message_id": number,
                "from": person,
                "chat": {"id": int(self.user), "first_name": "Lan", "type": "private"},
                "date": int(time.time()),
                "text": text,
            },
        }
        headers = {"x-telegram-bot-api-secret-token": TELEGRAM_SECRET}
        answer = httpx.post(f"{self.stack.rasa_url}/webhooks/telegram/webhook", json=update, headers=headers)
        assert answer.status_code == 200, answer.text

    def received(self) -> list[dict]:
        """The exact form bodies sent to the Bot API's sendMessage for this chat."""
        forms = [{k: v[0] for k, v in parse_qs(b.decode()).items()} for b in self.stack.platforms.sent(self.sent_path)]
        return [f for f in forms if f["chat_id"] == self.user]


def wait_until(condition, seconds: float = 40) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.3)


def citizen_texts(stack, conversation: str) -> list[str]:
    tracker = httpx.get(f"{stack.rasa_url}/conversations/{conversation}/tracker", params={"token": RASA_TOKEN}).json()
    return [e.get("text") for e in tracker["events"] if e.get("event") == "user"]


def text_of(body: dict) -> str:
    return body["message"]["text"] if "message" in body else body["text"]


USERS = {ZaloOACitizen: "246845883529100001", ZaloBotCitizen: "6ede9afa66b88fe6d6b0", TelegramCitizen: "5021873399"}


@pytest.mark.parametrize(
    "platform", [ZaloOACitizen, ZaloBotCitizen, TelegramCitizen], ids=["zalo_oa", "zalo_bot", "telegram"]
)
def test_the_same_handoff_over_a_platform(stack, staff_accounts, platform):
    citizen = platform(stack, USERS[platform])
    citizen.say("cho tôi gặp cán bộ")
    wait_until(lambda: any("cho cán bộ" in text_of(b) for b in citizen.received()))
    assert store.open_request_of(citizen.conversation).channel == citizen.channel

    lan = Staff(stack, "canbo.lan")
    assert lan.post(f"/inbox/{citizen.conversation}/take").headers["location"] == f"/inbox/{citizen.conversation}"

    before = len(citizen.received())
    citizen.say("alo, có ai không")
    wait_until(lambda: "alo, có ai không" in citizen_texts(stack, citizen.conversation))
    time.sleep(1.0)  # the connector would send the busy notice right after Rasa's turn
    assert len(citizen.received()) == before  # silent while taken

    reply = "Dạ, em là cán bộ Lan, em hỗ trợ anh/chị ạ."
    assert (
        lan.post(f"/inbox/{citizen.conversation}/reply", text=reply).headers["location"].endswith(citizen.conversation)
    )
    wait_until(lambda: len(citizen.received()) > before)
    sent = citizen.received()[before]
    if platform is ZaloOACitizen:
        assert sent == {"recipient": {"user_id": citizen.user}, "message": {"text": reply}}
    else:  # Zalo Bot (JSON) and Telegram (form) send the same fields
        assert sent == {"chat_id": citizen.user, "text": reply}

    assert lan.post(f"/inbox/{citizen.conversation}/close", outcome="Đã trả lời").headers["location"] == "/inbox"
    wait_until(lambda: len(citizen.received()) > before + 1)
    assert "tiếp tục hỗ trợ" in text_of(citizen.received()[before + 1])
