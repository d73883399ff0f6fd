"""Dossier status through the running stack: push API -> database -> Rasa ->
action server -> the citizen's channel."""

import json
import time

import httpx
import pytest

from dossiers.api import signature
from tests.e2e.conftest import PUSH_SECRET, PUSH_SOURCE, Chat, button_titles, texts

CODE = "H29.22-240903-0007"
OTHER = "G01.912.000-241012-0105"
GUESSED = "H29.22-240903-0009"  # the dossier an attacker guesses at


def push(stack, **fields) -> httpx.Response:
    body = {
        "event_id": f"evt-{time.monotonic_ns()}",
        "dossier_code": CODE,
        "status": "processing",
        "occurred_at": "2024-09-04T08:30:00+07:00",
        "agency": "UBND phường Bến Thành",
        "appointment_on": "2024-09-10",
        "applicant_name": "Nguyễn Văn A",
        "applicant_phone_last4": "6789",
        **fields,
    }
    raw = json.dumps(body).encode()
    stamp = str(int(time.time()))
    headers = {"x-source": PUSH_SOURCE, "x-timestamp": stamp, "x-signature": signature(PUSH_SECRET, stamp, raw)}
    return httpx.post(f"{stack.dossier_url}/api/v1/dossier-events", content=raw, headers=headers)


@pytest.fixture(scope="module", autouse=True)
def dossiers(stack):
    assert push(stack, event_id="seed-1").status_code in (200, 202)
    assert push(stack, event_id="seed-2", dossier_code=OTHER, status="supplement_required", note="Thiếu ảnh 4x6",
                supplement_deadline="2024-10-25").status_code in (200, 202)  # fmt: skip
    assert push(stack, event_id="seed-3", dossier_code=GUESSED).status_code in (200, 202)


def test_code_in_the_first_message(chat):
    replies = chat.say(f"cho hỏi hồ sơ {CODE.lower()} của tôi đến đâu rồi")
    answer = texts(replies)
    assert f"Hồ sơ {CODE}: Hồ sơ đang được giải quyết." in answer
    assert "10/09/2024" in answer
    assert "Nguyễn Văn A" not in answer  # the code alone reveals the status only
    assert button_titles(replies) == ["Xem chi tiết", "Gặp cán bộ"]  # the web chat cannot be notified later


def test_the_bot_asks_for_the_code_then_answers(chat):
    assert "cho em xin mã hồ sơ" in texts(chat.say("hồ sơ của tôi đến đâu rồi"))
    assert "Hồ sơ đang được giải quyết" in texts(chat.say(CODE))


def test_malformed_code_is_explained_before_any_look_up(chat):
    chat.say("tra cứu hồ sơ")
    assert "chưa đúng dạng mã hồ sơ" in texts(chat.say("H29-2409"))


def test_unknown_code_is_answered_kindly_with_where_the_code_is_printed(chat):
    answer = texts(chat.say("hồ sơ 000.00.15.H29-240301-0099 đến đâu rồi"))
    assert "chưa tìm thấy hồ sơ mã 000.00.15.H29-240301-0099" in answer
    assert "phiếu hẹn" in answer


def test_several_codes_are_each_answered(chat):
    answer = texts(chat.say(f"kiểm tra giúp tôi {CODE} và {OTHER}"))
    assert f"Hồ sơ {CODE}" in answer
    assert f"Hồ sơ {OTHER}: Hồ sơ cần bổ sung giấy tờ." in answer
    assert "25/10/2024" in answer


def test_details_after_the_right_second_factor(chat):
    chat.say(CODE)
    assert "4 chữ số cuối" in texts(chat.say(f'/dossier_details{{"dossier_code": "{CODE}"}}'))
    details = texts(chat.say("6789"))
    assert "Nguyễn Văn A" in details
    assert "UBND phường Bến Thành" in details


def test_wrong_second_factor_locks_the_dossier_across_conversations(stack):
    """The attack: a fresh web chat session every few guesses. Five failures
    lock the dossier's details for everyone until the office unlocks them."""
    for attempt in range(5):
        chat = Chat(stack)
        chat.say(f'/dossier_details{{"dossier_code": "{GUESSED}"}}')
        answer = texts(chat.say(f"{attempt:04d}"))
        assert ("còn" in answer) if attempt < 4 else ("đã khóa phần xem chi tiết" in answer)
    owner = Chat(stack)
    asked = texts(owner.say(f'/dossier_details{{"dossier_code": "{GUESSED}"}}'))
    assert "đã khóa phần xem chi tiết" in asked
    assert "Nguyễn Văn A" not in texts(owner.say("6789"))
    assert "Hồ sơ đang được giải quyết" in texts(owner.say(GUESSED))  # the status stays visible


def _callback_say(stack, sender: str, message: str) -> None:
    response = httpx.post(f"{stack.rasa_url}/webhooks/callback/webhook", json={"sender": sender, "message": message})
    assert response.status_code == 200


def test_subscriber_is_notified_once_in_their_own_conversation(stack):
    sender = "callback-citizen-1"
    _callback_say(stack, sender, CODE)
    assert "Hồ sơ đang được giải quyết" in stack.callback.wait_for(sender, 1)[0]["text"]
    _callback_say(stack, sender, f'/subscribe_status{{"dossier_code": "{CODE}"}}')
    assert "4 chữ số cuối" in stack.callback.wait_for(sender, 2)[-1]["text"]  # subscribing needs the digits
    _callback_say(stack, sender, "6789")
    assert "em sẽ nhắn anh/chị" in stack.callback.wait_for(sender, 3)[-1]["text"]

    event_id = "ready-1"
    assert push(stack, event_id=event_id, status="result_ready", occurred_at="2024-09-09T15:00:00+07:00",
                result_place="Bộ phận một cửa phường").status_code == 202  # fmt: skip
    messages = stack.callback.wait_for(sender, 4)
    assert "vừa có thay đổi" in messages[3]["text"]
    assert "Hồ sơ đã có kết quả" in messages[3]["text"]

    tracker = httpx.get(stack.api(f"/conversations/{sender}/tracker")).json()
    intents = [e["parse_data"]["intent"]["name"] for e in tracker["events"] if e["event"] == "user"]
    assert intents[-1] == "dossier_status_changed"

    duplicate = push(stack, event_id=event_id, status="result_ready", occurred_at="2024-09-09T15:00:00+07:00")
    assert duplicate.json()["duplicate"] is True
    time.sleep(4)  # the notifier polls every 2 s: give a second notification the chance to (wrongly) happen
    assert len(stack.callback.messages[sender]) == 4

    _callback_say(stack, sender, "hủy thông báo")
    assert "đã dừng gửi thông báo" in stack.callback.wait_for(sender, 5)[-1]["text"]


def test_the_web_chat_is_told_it_cannot_be_notified(chat):
    assert "Báo cho tôi khi hồ sơ thay đổi" not in button_titles(chat.say(CODE))
    answer = texts(chat.say(f'/subscribe_status{{"dossier_code": "{CODE}"}}'))
    assert "trên trang web em chưa gửi thông báo được" in answer


def test_second_factor_asks_again_for_four_digits(chat):
    chat.say(f'/dossier_details{{"dossier_code": "{CODE}"}}')
    assert "4 chữ số cuối" in texts(chat.say("12"))


def test_unsubscribe_when_nothing_was_subscribed(chat):
    assert "chưa đăng ký nhận thông báo" in texts(chat.say("hủy thông báo"))
