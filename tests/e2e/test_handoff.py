"""Handoff to a person through the running stack: a web chat citizen asks for
a person; a staff member logs in to the console, takes the conversation (the
assistant pauses), replies (the page shows it), hands back with a note (the
assistant answers again)."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from console.accounts import create_account
from handoff import store
from tests.e2e.conftest import Chat, button_titles, texts

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

    lan, minh = Staff(stack, "canbo.lan"), Staff(stack, "canbo.minh")
    listing = lan.http.get("/inbox").text
    assert f'href="/inbox/{conversation}"' in listing
    assert "cho tôi gặp cán bộ" in listing  # the last messages
    assert "Web" in listing and "Công dân yêu cầu" in listing

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
