"""The staff inbox's pages without Rasa (SQLite and PostgreSQL): roles, the
phone number masked in the list and whole inside the conversation, canned
replies, a card's answer by name, refusals with their reason. Taking,
replying and handing back through Rasa: tests/e2e/test_handoff.py."""

from __future__ import annotations

import pytest

from handoff import canned, store
from knowledge import store as cards
from settings import get_settings
from tests.app.console_client import account, client, login

CONVERSATION = "zalo_oa:8080"


@pytest.fixture
def inbox(database_url, monkeypatch):
    monkeypatch.setenv("TTHC_CONSOLE_KEY", "test-console-key-0123456789abcdef")
    monkeypatch.setenv("TTHC_RASA_URL", "http://127.0.0.1:9")  # nothing listens: history unavailable
    get_settings.cache_clear()
    cards.import_files()
    request, _ = store.open_request(CONVERSATION, "asked", True, procedure_id="khai-sinh")
    store.leave_phone(CONVERSATION, "0912345678")
    web = client()
    token = login(web, account("canbo.an", "staff"))
    return web, token, request


def test_the_list_masks_the_phone_the_conversation_shows_it(inbox):
    web, _, _ = inbox
    listing = web.get("/inbox").text
    assert "09******78" in listing and "0912345678" not in listing
    assert "Đăng ký khai sinh" in listing and "Zalo OA" in listing and "ngoài giờ" in listing
    page = web.get(f"/inbox/{CONVERSATION}").text
    assert "0912345678" in page
    assert "Chưa đọc được lịch sử trò chuyện" in page  # Rasa down: said, not a crash
    assert web.get("/inbox/list").text.count('data-testid="inbox-row"') == 1


def test_other_roles_and_strangers_are_refused(inbox):
    editor = client()
    login(editor, account("bientap.binh", "editor"))
    assert editor.get("/inbox").status_code == 403
    assert editor.get("/figures").status_code == 403
    assert client().get(f"/inbox/{CONVERSATION}").status_code == 303  # to the log-in


def test_unknown_or_malformed_conversations_are_404(inbox):
    web, token, _ = inbox
    assert web.get("/inbox/telegram:404").status_code == 404
    assert web.get("/inbox/not-an-id").status_code == 404
    assert web.post("/inbox/telegram:404/take", data={"csrf_token": token}).status_code == 404


def test_a_waiting_request_can_be_closed_with_a_note(inbox):
    web, token, request = inbox
    empty = web.post(f"/inbox/{CONVERSATION}/close", data={"csrf_token": token, "outcome": ""})
    assert empty.headers["location"].endswith("error=outcome")
    done = web.post(f"/inbox/{CONVERSATION}/close", data={"csrf_token": token, "outcome": "Đã gọi lại"})
    assert done.headers["location"] == "/inbox"
    closed = store.get(request.id)
    assert closed is not None and (closed.state, closed.outcome, closed.closed_by) == (
        "closed",
        "Đã gọi lại",
        "canbo.an",
    )


def test_taking_when_rasa_is_down_leaves_the_request_waiting(inbox):
    web, token, request = inbox
    answer = web.post(f"/inbox/{CONVERSATION}/take", data={"csrf_token": token})
    assert answer.headers["location"].endswith("error=rasa")
    assert store.get(request.id).state == "waiting"


def test_canned_replies_are_added_edited_and_removed(inbox):
    web, token, _ = inbox
    added = web.post("/inbox/canned", data={"csrf_token": token, "title": "Chào", "text": "Dạ, em chào anh/chị."})
    assert added.status_code == 303
    [reply] = canned.all_replies()
    web.post("/inbox/canned", data={"csrf_token": token, "id": str(reply.id), "title": "Chào", "text": "Dạ, chào ạ."})
    assert [r.text for r in canned.all_replies()] == ["Dạ, chào ạ."]
    clash = web.post("/inbox/canned", data={"csrf_token": token, "title": "Chào", "text": "khác"})
    assert clash.status_code == 422 and "Đã có mẫu cùng tên" in clash.text
    assert web.post("/inbox/canned", data={"csrf_token": token, "title": "", "text": "x"}).status_code == 422
    assert "Dạ, chào ạ." in web.get("/inbox/canned").text
    web.post(f"/inbox/canned/{reply.id}/delete", data={"csrf_token": token})
    assert canned.all_replies() == []


def test_a_cards_answer_by_name(inbox):
    web, _, _ = inbox
    card = cards.get_card("procedure", "khai-sinh")
    found = web.get("/inbox/card-answer", params={"name": "dang ky khai sinh"}, headers={"accept": "application/json"})
    assert found.status_code == 200
    assert card.name in found.json()["text"]
    vague = web.get("/inbox/card-answer", params={"name": "đăng ký"}, headers={"accept": "application/json"})
    assert vague.status_code == 404  # several cards: staff must name one
